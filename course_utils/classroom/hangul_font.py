"""Hangul in JupyterLab on a machine without a Korean font (issue 26.5): the course's NanumGothic, once.

    python -m course_utils.classroom.hangul_font     # once per computer (per user); then restart JupyterLab

A Linux lab computer often has no font with Hangul (``fc-list :lang=ko`` prints nothing), and JupyterLab
then draws the Korean edition's text as empty boxes. The course already installs NanumGothic (the pip
package ``koreanize-matplotlib``, SIL Open Font License). This command makes JupyterLab use it, through
JupyterLab's own switch for a user style sheet (``LabApp.custom_css``), in the user's Jupyter config folder
(``jupyter --config-dir``; ``JUPYTER_CONFIG_DIR`` moves it):

- ``custom/fonts/NanumGothic*.ttf``: the two font files (about 9 MB, cleaned as for the HTML copy);
- ``custom/custom.css``: an ``@font-face`` limited to the Hangul code points, put first in JupyterLab's text,
  interface and code font lists, so Hangul is drawn with NanumGothic and everything else as before;
- ``jupyter_lab_config.json``: ``{"LabApp": {"custom_css": true}}``, so a plain ``jupyter lab`` loads it.

Nothing of the user's is lost: an existing ``custom.css`` keeps its rules (the course's block, between two
marker comments, is added or replaced), an existing ``jupyter_lab_config.json`` keeps its other settings,
and one that is not valid JSON is left alone with a one-line message. Running the command again is safe.
A lab that prefers a system font installs Debian's ``fonts-nanum`` (``apt install fonts-nanum``) instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from course_utils.classroom import reading

FAMILY = "Course Hangul"
BEGIN, END = "/* course_utils hangul_font: begin */", "/* course_utils hangul_font: end */"
#: JupyterLab 4's font variables (its theme sets them on :root; :root:root outranks that in any order).
FONT_VARIABLES = {
    "--jp-content-font-family": 'system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, '
    "sans-serif",
    "--jp-ui-font-family": 'system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, '
    "sans-serif",
    "--jp-code-font-family": 'menlo, consolas, "DejaVu Sans Mono", monospace',
}


class ConfigNotChanged(RuntimeError):
    """A file of the user's that the command will not rewrite; the message says which and why, in one line."""


def hangul_css(fonts_folder: str = "fonts") -> str:
    """The course's block of ``custom.css``: NanumGothic for Hangul code points, first in every font list."""
    faces = "".join(
        f'@font-face {{font-family: "{FAMILY}"; src: url("{fonts_folder}/{name}") format("truetype"); '
        f"font-weight: {weight}; unicode-range: {reading.HANGUL_UNICODE_RANGE};}}\n"
        for weight, name in reading.HANGUL_FONT_FILES.items()
    )
    variables = "".join(f'  {name}: "{FAMILY}", {stack};\n' for name, stack in FONT_VARIABLES.items())
    return f"{BEGIN}\n{faces}:root:root {{\n{variables}}}\n{END}\n"


def with_course_block(css: str, block: str) -> str:
    """``css`` with the course's block replaced, or added at the end when it has none."""
    start, end = css.find(BEGIN), css.find(END)
    if start != -1 and end > start:
        return css[:start] + block + css[end + len(END) :].lstrip("\n")
    return css + ("\n" if css and not css.endswith("\n") else "") + block


def with_custom_css_on(config_path: Path) -> str:
    """``jupyter_lab_config.json``'s text with ``LabApp.custom_css`` true and every other setting kept."""
    config = {}
    if config_path.exists():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8") or "{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ConfigNotChanged(
                f"{config_path} is not valid JSON ({err}): fix it or add "
                '"LabApp": {"custom_css": true} to it yourself'
            ) from None
        if not isinstance(config, dict) or not isinstance(config.get("LabApp", {}), dict):
            raise ConfigNotChanged(
                f'{config_path}: expected {{"LabApp": {{...}}}}; add "custom_css": true yourself'
            )
    config.setdefault("LabApp", {})["custom_css"] = True
    return json.dumps(config, indent=2) + "\n"


def install(config_dir: Path | None = None) -> list[Path]:
    """Set JupyterLab under ``config_dir`` (default: the user's Jupyter config folder) to draw Hangul with
    the course's NanumGothic. Returns the files written. Raises :class:`ConfigNotChanged` before writing
    anything when the user's config file cannot be read as JSON."""
    if config_dir is None:
        from jupyter_core.paths import jupyter_config_dir

        config_dir = Path(jupyter_config_dir())
    config_dir, custom = Path(config_dir), Path(config_dir) / "custom"
    config_path = config_dir / "jupyter_lab_config.json"
    config_text = with_custom_css_on(config_path)  # checked first: a bad config stops before any write
    fonts = reading.copy_hangul_font(custom)
    css_path = custom / "custom.css"
    old_css = css_path.read_text(encoding="utf-8") if css_path.exists() else ""
    css_path.write_text(with_course_block(old_css, hangul_css(fonts.name)), encoding="utf-8")
    config_path.write_text(config_text, encoding="utf-8")
    return [*(fonts / name for name in reading.HANGUL_FONT_FILES.values()), css_path, config_path]


def main(argv: list[str] | None = None) -> int:
    """The command line: 0 done, 2 refused (one line on stderr)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        print(
            f"usage: python -m course_utils.classroom.hangul_font (no arguments; got {args})", file=sys.stderr
        )
        return 2
    try:
        written = install()
    except (ConfigNotChanged, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(
            f"error: cannot write {err.filename or 'the Jupyter config folder'}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 2
    print(f"JupyterLab will draw Hangul with NanumGothic (restart it): {', '.join(map(str, written[-2:]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
