"""The Korean edition's text (한국어판, issue 17) says what the English says, in the glossary's terms.

The notebooks' code and completeness are checked in tests/classroom/test_edition.py. Here, for the
Korean notebooks' markdown (notebooks/ko/translations/) and the Korean README and teacher's guide:

- what must survive translation is unchanged: display maths, code spans, heading levels, links;
- no spelling from the glossary's "not used" column appears (outside the glossary's own table);
- the Korean glossary lists the same terms and "not used" spellings as the English one;
- every relative link points at a file that exists, and each edition links the other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_glossary import GLOSSARY, NOT_USED, parse_glossary

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = {"README.md": "README.ko.md", "docs/teaching.md": "docs/teaching.ko.md"}
TRANSLATIONS = sorted((ROOT / "notebooks" / "ko" / "translations").glob("*.json"))
DISPLAY_MATHS = re.compile(r"\$\$.+?\$\$", re.S)
CODE_SPAN = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#+) ", re.M)


def _without_fences(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _outside_glossary_table(text: str) -> str:
    """The text without the glossary's table rows (its "not used" column lists the forbidden spellings)."""
    found = re.search(r"^## (Glossary|용어집)", text, re.M)
    if found is None:
        return text
    rest = text[found.start() :].splitlines()
    return text[: found.start()] + "\n".join(line for line in rest if not line.startswith("|"))


def unchanged_parts_problems(english: str, korean: str) -> list[str]:
    """What a translation must not change, one line per difference (empty: nothing changed)."""
    problems = []
    for maths in set(DISPLAY_MATHS.findall(english)) - set(DISPLAY_MATHS.findall(korean)):
        problems.append(f"display maths changed or missing: {maths[:60]!r}")
    for span in set(CODE_SPAN.findall(english)) - set(CODE_SPAN.findall(korean)):
        problems.append(f"code span changed or missing: {span}")
    levels = [len(h) for h in HEADING.findall(_without_fences(english))]
    if levels != [len(h) for h in HEADING.findall(_without_fences(korean))]:
        problems.append(f"heading levels differ: English {levels}")
    for url in set(LINK.findall(english)) - set(LINK.findall(korean)):
        problems.append(f"link target missing: {url}")
    return problems


def unused_spellings(text: str) -> list[str]:
    return [f"uses {old!r}; the glossary's term is {term!r}" for old, term in NOT_USED.items() if old in text]


def _korean_cells(path: Path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (cell_id, entry.get("en", ""), entry["text"]) for cell_id, entry in cells.items() if entry.get("text")
    ]


@pytest.mark.parametrize("path", TRANSLATIONS, ids=[p.stem for p in TRANSLATIONS])
def test_korean_notebook_text_keeps_maths_code_and_glossary_terms(path):
    problems = []
    for cell_id, english, korean in _korean_cells(path):
        if not re.search("[\uac00-\ud7a3]", korean):
            problems.append(f"{cell_id}: no Korean text")
        problems += [f"{cell_id}: {p}" for p in unused_spellings(korean)]
        if english:  # the English the translator saw (the edition's hash check catches a changed English)
            problems += [f"{cell_id}: {p}" for p in unchanged_parts_problems(english, korean)]
        exercise = re.search(r"^#+\s*Your turn\b", english, re.M)
        if exercise and not re.search(r"^#+ 직접 해 보기 \(Your turn\)", korean, re.M):
            problems.append(f"{cell_id}: the exercise heading must read '직접 해 보기 (Your turn)'")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("english", sorted(DOCUMENTS))
def test_korean_documents_exist_and_keep_maths_code_and_links(english):
    korean_path = ROOT / DOCUMENTS[english]
    assert korean_path.is_file(), f"{DOCUMENTS[english]} is missing: the Korean edition of {english}"
    english_text, korean_text = (
        (ROOT / english).read_text(encoding="utf-8"),
        korean_path.read_text(encoding="utf-8"),
    )
    own_name = korean_path.name  # the English points at the Korean file; the Korean need not name itself
    problems = [p for p in unchanged_parts_problems(english_text, korean_text) if own_name not in p]
    problems += unused_spellings(_outside_glossary_table(korean_text))
    hangul = len(re.findall("[\uac00-\ud7a3]", korean_text))
    assert hangul > 0.3 * len(re.findall("[A-Za-z]", _without_fences(english_text))), "mostly untranslated"
    for folder, text in ((ROOT / english).parent, english_text), (korean_path.parent, korean_text):
        for url in LINK.findall(text):
            if not re.match(r"[a-z]+:|#", url):
                assert (folder / url.split("#")[0]).exists(), f"broken relative link {url}"
    # each edition points at the other
    assert Path(DOCUMENTS[english]).name in english_text and Path(english).name in korean_text
    assert not problems, "\n".join(problems)


def test_korean_glossary_lists_the_same_terms():
    text = (ROOT / "docs" / "teaching.ko.md").read_text(encoding="utf-8")
    start = text.index("## 용어집")
    terms, not_used = parse_glossary("## Glossary" + text[start + len("## 용어집") :])
    assert terms == GLOSSARY and not_used == NOT_USED


def test_the_checks_can_fail():
    english = "See `fit()` and $$a+b$$ in [the guide](docs/teaching.md).\n## Part"
    assert unchanged_parts_problems(english, english) == []
    broken = "`fit` 과 $$a + b$$ 를 보세요.\n### 부분"
    assert len(unchanged_parts_problems(english, broken)) == 4
    assert unused_spellings("입력을 복원합니다") == ["uses '복원'; the glossary's term is '재구성'"]
    assert "| 재구성 †" not in _outside_glossary_table(
        "앞\n## Glossary\n| 재구성 † | reconstruction | 복원 | x |\n"
    )
