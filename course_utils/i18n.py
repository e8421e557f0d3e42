"""The course's two languages: what it prints and draws, in English or in Korean (한국어).

Every message the course shows goes through :func:`tr` (a template of the package, ``str.format`` style)
or :func:`translate` (a finished English text, e.g. a claim statement written in a notebook's code cell).
The Korean of each English template is in the catalogue ``messages.ko.json`` beside this module: one flat
object, English template -> Korean template, the same ``{placeholders}`` on both sides (literal braces
doubled, as for ``str.format``). :func:`translate` finds a template by its text: exactly, or with each
placeholder standing for any text, which is then translated in turn; a text the catalogue lacks stays
English.

The language (:func:`language`), the first that applies:

1. ``COURSE_LANG=en`` or ``COURSE_LANG=ko`` in the environment: always wins;
2. a file ``course_lang.txt`` (:data:`MARKER`, holding ``ko``) in the kernel's working folder or beside
   the notebook Jupyter names in ``JPY_SESSION_NAME``: the Korean edition's folder ``notebooks/ko/`` has
   one, so its notebooks, with code identical to the English, speak Korean, and so do its student and
   HTML copies (run in that folder, or given the marker);
3. on Colab, the open notebook's ``metadata.course_edition.lang`` (the Korean edition records ``ko``);
4. English.
"""

from __future__ import annotations

import functools
import json
import os
import re
import string
import sys
from pathlib import Path

LANGUAGES = ("en", "ko")
#: The variable that picks the language, and the marker file that a folder of Korean notebooks holds.
VARIABLE, MARKER = "COURSE_LANG", "course_lang.txt"
CATALOGUE = Path(__file__).with_name("messages.ko.json")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_FIELD = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")


def _checked(value: str, where: str) -> str:
    lang = value.strip().lower()
    if lang not in LANGUAGES:
        raise ValueError(f"{where}={value.strip()!r} is not a course language: use en or ko")
    return lang


def language() -> str:
    """``"en"`` or ``"ko"``: ``COURSE_LANG``, else a marker file, else Colab's notebook, else English."""
    if os.environ.get(VARIABLE, "").strip():
        return _checked(os.environ[VARIABLE], VARIABLE)
    try:
        folders = [Path.cwd()]
    except OSError:  # a working folder that was removed
        folders = []
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        folders.append(Path(session).parent)
    for folder in folders:
        marker = folder / MARKER
        if marker.is_file():
            return _marker_language(str(marker))
    return _colab_language()


@functools.cache
def _marker_language(marker: str) -> str:
    """The language a marker file names (read once per session)."""
    return _checked(Path(marker).read_text(encoding="utf-8"), marker)


@functools.cache
def _colab_language() -> str:
    """The language Colab's open notebook records (``metadata.course_edition.lang``), else ``"en"``."""
    if "google.colab" not in sys.modules:
        return "en"
    try:
        from google.colab import _message  # Colab's own module: the open notebook's JSON

        notebook = _message.blocking_request("get_ipynb", timeout_sec=5)["ipynb"]
        lang = notebook["metadata"]["course_edition"]["lang"]
    except Exception:  # noqa: BLE001 - not a course notebook, or an older Colab: English
        return "en"
    return lang if lang in LANGUAGES else "en"


@functools.cache
def catalogue() -> dict[str, str]:
    """English template -> Korean template, from :data:`CATALOGUE`."""
    with open(CATALOGUE, encoding="utf-8") as file:
        return json.load(file)


def fields(template: str) -> list[tuple[str, str]]:
    """The placeholders of a ``str.format`` template, as ``(name, format spec)`` in order."""
    return [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None]


@functools.cache
def _lookup() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    """(literal English -> Korean for the templates without placeholders, (pattern, Korean) for the rest,
    the patterns with the most literal text first)."""
    exact, patterns = {}, []
    for english, korean in catalogue().items():
        if not fields(english):
            exact[english.format()] = korean.format()
            continue
        regex, seen = "", set()
        for literal, name, _spec, _ in string.Formatter().parse(english):
            regex += re.escape(literal)
            if name is not None:
                regex += f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
                seen.add(name)
        literal_size = sum(len(literal) for literal, *_ in string.Formatter().parse(english))
        patterns.append((literal_size, re.compile(regex + r"\Z", re.DOTALL), korean))
    patterns.sort(key=lambda entry: -entry[0])
    return exact, [(pattern, korean) for _, pattern, korean in patterns]


def _to_korean(text: str, depth: int = 0) -> str:
    exact, patterns = _lookup()
    if text in exact:
        return exact[text]
    if depth > 3 or not text.strip():
        return text
    for pattern, korean in patterns:
        found = pattern.match(text)
        if found:
            parts = {name: _to_korean(value, depth + 1) for name, value in found.groupdict().items()}
            return _filled(korean, parts)
    return text


def _filled(template: str, parts: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by the text in ``parts`` (its format spec ignored)."""
    escaped = template.replace("{{", "\0").replace("}}", "\1")
    return _FIELD.sub(lambda m: parts[m[1]], escaped).replace("\0", "{").replace("\1", "}")


def has_hangul(text: str) -> bool:
    """Whether ``text`` holds a Hangul syllable or jamo."""
    return bool(_HANGUL.search(text))


def translate(text: str) -> str:
    """A finished English text in the course's language: as it is in English, the catalogue's Korean in
    Korean (placeholders filled with the text they matched, itself translated); unknown text unchanged."""
    if not isinstance(text, str) or language() == "en":
        return text
    return _to_korean(text)


def tr(template: str, **values) -> str:
    """``template.format(**values)`` in the course's language (the catalogue's Korean template in Korean;
    a value that is a string is translated too)."""
    if language() == "en":
        return template.format(**values)
    korean = catalogue().get(template, template)
    return korean.format(**{k: _to_korean(v) if isinstance(v, str) else v for k, v in values.items()})
