"""The Korean edition (한국어판) from one source: ``notebooks/ko/<name>.ipynb`` is the English notebook with
each markdown cell replaced by its translation; code cells (and every cell's id and metadata) are copied
as they are, so the editions cannot drift apart.

    python -m course_utils.classroom edition ko          # build or refresh notebooks/ko/, a line per notebook
    python -m course_utils.classroom edition ko --check  # the same; exit 1 if a translation is missing/stale
    python -m course_utils.classroom edition ko --stubs  # an empty entry (with the English) per missing cell
    python -m course_utils.classroom edition ko --stamp 04_elbo.ipynb ID ...  # re-translated: record it

Each command takes the English notebooks from ``--notebooks FOLDER``, or else from ``notebooks/`` under the
current folder (a checkout's root) or the current folder itself (:func:`course_notebooks`).

One translation file per notebook, ``notebooks/ko/translations/<name>.json``::

    {"notebook": "04_elbo.ipynb",
     "cells": {"<markdown cell id>": {"sha": "<sha256 of the English source, 16 hex digits>",
                                      "text": "<the Korean markdown>",
                                      "en": "<optional: the English it was translated from>"}}}

A cell is *missing* when it has no entry or an empty ``text`` (the edition then shows the English), and
*stale* when the English source changed since (its hash is not ``sha``; the edition keeps the old
translation until it is updated and stamped). ``en`` is for the translator only (to see what changed);
the build ignores it. Write as a teacher would, with the lecture's and the glossary's terms
(docs/teaching.md) and the English term in parentheses at first use; keep ``### Your turn: <title>``
headings as ``### 직접 해 보기 (Your turn): <title>`` so the student copy finds the exercise's title.
The code cells stay English; what they print and draw speaks Korean when the notebooks run from
``notebooks/ko/``, whose ``course_lang.txt`` selects Korean (:mod:`course_utils.i18n`, catalogue
``course_utils/messages.ko.json``; figures in the NanumGothic of ``koreanize-matplotlib``).

Each built notebook records the hash of its content (``metadata.course_edition.content_sha``): a rebuild
replaces a notebook only while that hash still matches, i.e. nobody edited the built file; an edited one
is kept and reported (``--overwrite`` replaces it). Edit the English notebook or the translation file.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_utils.files import replaced

LANGUAGES = {"ko": "한국어"}
#: Where the classroom commands look for the English notebooks when no folder is given: this folder under
#: the current one (a checkout's root), or else the current folder itself when it holds them.
DEFAULT_FOLDER = "notebooks"


class NotebooksNotFound(ValueError):
    """No folder of course notebooks where a command looked; the message says where, in one line."""


def course_notebooks(notebooks: Path | None = None) -> Path:
    """The folder of the course's English notebooks: ``notebooks`` when given, else ``notebooks/`` under the
    current folder, else the current folder when it holds numbered notebooks (``01_*.ipynb``). Nothing is
    looked for beside the package, so the commands work the same from a checkout and an installed wheel.

    Raises :class:`NotebooksNotFound` (one line) when no folder is given and none is found."""
    if notebooks is not None:
        return Path(notebooks)
    here = Path.cwd()
    if (here / DEFAULT_FOLDER).is_dir():
        return Path(DEFAULT_FOLDER)
    if any(here.glob("[0-9]*.ipynb")):
        return Path(".")
    raise NotebooksNotFound(
        f"no {DEFAULT_FOLDER}/ folder and no course notebooks in {here}: run this from the course's folder "
        f"(the one holding {DEFAULT_FOLDER}/) or pass --notebooks FOLDER"
    )


def source_hash(source: str) -> str:
    """The first 16 hex digits of the SHA-256 of a cell's source: what a translation was made from."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def edition_dir(lang: str, notebooks: Path | None = None) -> Path:
    """Where the ``lang`` edition lives: ``notebooks/<lang>/`` (``notebooks/`` itself for English)."""
    if lang != "en" and lang not in LANGUAGES:
        raise ValueError(f"unknown edition {lang!r}: choose 'en' or one of {sorted(LANGUAGES)}")
    notebooks = course_notebooks(notebooks)
    return notebooks if lang == "en" else notebooks / lang


def translation_path(name: str, lang: str, notebooks: Path | None = None) -> Path:
    return edition_dir(lang, notebooks) / "translations" / f"{Path(name).stem}.json"


def load_translations(name: str, lang: str, notebooks: Path | None = None) -> dict:
    """The ``cells`` mapping of a notebook's translation file (empty when there is none)."""
    path = translation_path(name, lang, notebooks)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, dict) or not all(isinstance(v, dict) for v in cells.values()):
        raise ValueError(f'{path}: expected {{"notebook": ..., "cells": {{id: {{"sha", "text"}}}}}}')
    return cells


def save_translations(name: str, lang: str, cells: dict, notebooks: Path | None = None) -> Path:
    path = translation_path(name, lang, notebooks)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"notebook": Path(name).name, "cells": cells}, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _markdown_ids(nb, name: str) -> list[str]:
    ids = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            if not cell.get("id"):
                raise ValueError(f"{name}: markdown cell {index} has no id (save it once with JupyterLab 4)")
            ids.append(cell.id)
    return ids


@dataclass
class EditionReport:
    """What one notebook's edition holds: ids of missing and stale translations, and unused entries
    (translations of cells the English notebook no longer has)."""

    name: str
    lang: str
    markdown_cells: int
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    #: True when the built notebook was not written: the file there was edited since the last build
    kept: bool = False

    @property
    def complete(self) -> bool:
        return not (self.missing or self.stale)

    def line(self) -> str:
        done = self.markdown_cells - len(self.missing) - len(self.stale)
        parts = [
            f"{self.name} -> {self.lang}/{self.name}: {done}/{self.markdown_cells} markdown cells translated"
        ]
        for what, ids in (("missing", self.missing), ("stale", self.stale), ("unused", self.unused)):
            if ids:
                shown = ", ".join(ids[:6]) + (", ..." if len(ids) > 6 else "")
                parts.append(f"{len(ids)} {what} ({shown})")
        if self.kept:
            parts.append("NOT rebuilt: the file was edited since the last build (--overwrite replaces it)")
        return "; ".join(parts)


def translated_notebook(english, translations: dict, name: str, lang: str) -> tuple[object, EditionReport]:
    """The ``lang`` edition of notebook ``english`` and its report: every markdown cell with a translation
    gets its ``text``; everything else is copied as it is."""
    ids = _markdown_ids(english, name)
    nb = copy.deepcopy(english)
    report = EditionReport(name, lang, len(ids), unused=sorted(set(translations) - set(ids)))
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        entry = translations.get(cell.id) or {}
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            report.missing.append(cell.id)
            continue
        if entry.get("sha") != source_hash(cell.source):
            report.stale.append(cell.id)
        cell.source = text
    nb.metadata["course_edition"] = {"lang": lang, "built_from": f"../{name}"}
    nb.metadata["course_edition"]["content_sha"] = content_hash(json.loads(nbformat.writes(nb)))
    return nb, report


def content_hash(notebook: dict) -> str:
    """The SHA-256 (16 hex digits) of a notebook's JSON ``notebook`` without its own
    ``metadata.course_edition.content_sha``: what :func:`build_edition` records in every notebook it
    writes, so a later build can tell its own output from a notebook somebody edited."""
    data = copy.deepcopy(notebook)
    data.get("metadata", {}).get("course_edition", {}).pop("content_sha", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def built_and_unedited(path: Path, new_text: str) -> bool:
    """Whether the notebook at ``path`` is exactly what an earlier build wrote (its recorded content hash
    still matches), so replacing it loses nobody's work. A notebook from before the hash was recorded
    counts only when it equals ``new_text`` apart from the hash."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        recorded = data["metadata"]["course_edition"].get("content_sha")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if recorded is None:
        return content_hash(data) == content_hash(json.loads(new_text))
    return recorded == content_hash(data)


def build_edition(
    lang: str = "ko", notebooks: Path | None = None, write: bool = True, overwrite: bool = False
) -> list[EditionReport]:
    """Build (or refresh) ``notebooks/<lang>/<name>.ipynb`` for every English notebook; a file is
    rewritten only when its content changes. Returns one report per notebook.

    A file is replaced only when an earlier build wrote it and nobody edited it since (its recorded
    content hash, :func:`built_and_unedited`), or with ``overwrite=True``; otherwise it is kept and its
    report says so (``report.kept``)."""
    notebooks = course_notebooks(notebooks)
    target_dir, reports = edition_dir(lang, notebooks), []
    for path in sorted(notebooks.glob("*.ipynb")):
        english = nbformat.read(path, as_version=4)
        translations = load_translations(path.name, lang, notebooks)
        nb, report = translated_notebook(english, translations, path.name, lang)
        reports.append(report)
        if write:
            target_dir.mkdir(parents=True, exist_ok=True)
            text = nbformat.writes(nb)
            text += "" if text.endswith("\n") else "\n"  # as nbformat.write does
            report.kept = not _write_built(target_dir / path.name, text, overwrite)
    return reports


def _write_built(target: Path, text: str, overwrite: bool) -> bool:
    """Write a built notebook's ``text`` to ``target`` unless that would replace somebody's edits (see
    :func:`build_edition`). Returns False when the file is kept as it is."""
    if not overwrite and (target.is_symlink() or (target.exists() and not target.is_file())):
        return False  # never write through a link or onto a folder unless told to (then the link goes)
    if target.is_file() and not target.is_symlink():
        if target.read_text(encoding="utf-8") == text:
            return True
        if not (overwrite or built_and_unedited(target, text)):
            return False
    replace_text(target, text)
    return True


def replace_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path`` (a link is replaced,
    not written through; an interrupted write leaves ``path`` as it was)."""
    with replaced(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def add_stubs(lang: str = "ko", notebooks: Path | None = None) -> int:
    """For every missing translation, add ``{"sha", "text": "", "en"}`` to the notebook's translation file
    (the translator fills ``text``). Returns how many entries were added."""
    added = 0
    notebooks = course_notebooks(notebooks)
    for path in sorted(notebooks.glob("*.ipynb")):
        english = nbformat.read(path, as_version=4)
        cells = load_translations(path.name, lang, notebooks)
        new = 0
        for cell in english.cells:
            if cell.cell_type == "markdown" and not (cells.get(cell.id) or {}).get("text"):
                cells[cell.id] = {"sha": source_hash(cell.source), "text": "", "en": cell.source}
                new += 1
        if new:
            save_translations(path.name, lang, cells, notebooks)
        added += new
    return added


def stamp(name: str, ids: list[str], lang: str = "ko", notebooks: Path | None = None) -> None:
    """Record that the translations of cells ``ids`` of notebook ``name`` match its English now (after
    updating stale translations): their ``sha`` (and ``en``, when kept) become the current English."""
    english = nbformat.read(course_notebooks(notebooks) / Path(name).name, as_version=4)
    sources = {cell.id: cell.source for cell in english.cells if cell.cell_type == "markdown"}
    cells = load_translations(name, lang, notebooks)
    for cell_id in ids:
        if cell_id not in sources:
            raise ValueError(f"{name}: no markdown cell with id {cell_id!r}")
        if not (cells.get(cell_id) or {}).get("text"):
            raise ValueError(f"{name}: cell {cell_id!r} has no translation to stamp")
        cells[cell_id]["sha"] = source_hash(sources[cell_id])
        if "en" in cells[cell_id]:
            cells[cell_id]["en"] = sources[cell_id]
    save_translations(name, lang, cells, notebooks)


def code_differences(english, edition) -> list[str]:
    """Where the edition's cells differ from the English beyond markdown text: cell count, types, ids,
    metadata, code sources. Empty when the edition is faithful."""
    if len(english.cells) != len(edition.cells):
        return [f"{len(edition.cells)} cells instead of {len(english.cells)}"]
    problems = []
    for index, (a, b) in enumerate(zip(english.cells, edition.cells)):
        for key in ("cell_type", "id", "metadata"):
            if a.get(key) != b.get(key):
                problems.append(f"cell {index}: {key} differs")
        if a.cell_type != "markdown" and a.source != b.source:
            problems.append(f"cell {index}: code differs")
    return problems


def edition_problems(lang: str = "ko", notebooks: Path | None = None) -> list[str]:
    """What is wrong with the ``lang`` notebooks present in ``notebooks/<lang>/``, one line each: a notebook
    with no English original, cells or code that differ from the English, missing or stale translations,
    a file that is not what :func:`build_edition` builds now. Empty when every present one is right."""
    notebooks, problems = course_notebooks(notebooks), []
    for path in sorted(edition_dir(lang, notebooks).glob("*.ipynb")):
        source = notebooks / path.name
        if not source.exists():
            problems.append(f"{lang}/{path.name}: no English notebook of that name")
            continue
        english, translated = nbformat.read(source, as_version=4), nbformat.read(path, as_version=4)
        problems += [f"{lang}/{path.name}: {p}" for p in code_differences(english, translated)]
        translations = load_translations(path.name, lang, notebooks)
        built, report = translated_notebook(english, translations, path.name, lang)
        if not report.complete:
            problems.append(report.line())
        if built != translated:
            command = f"python -m course_utils.classroom edition {lang}"
            problems.append(f"{lang}/{path.name}: out of date (run: {command})")
    return problems
