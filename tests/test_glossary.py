"""One Korean term per concept: the notebooks, the guide and the README use the glossary's terms.

The glossary is the table at the end of docs/teaching.md (columns: 한국어 | English | not used | note).
Checked here, for every notebook's markdown, the guide outside the glossary, and the README:

- every Korean term is a glossary term (or the lecture's title);
- a Korean term in parentheses follows (or sits next to) an English term of its own glossary row, so
  "reconstruction (복원)" or "lower bound (변분 하한)" is caught; so is a glossary English term in
  parentheses after the Korean term of another row;
- no spelling from the "not used" column appears anywhere (code cells included).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teaching.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LECTURE_TITLE = "오토인코더의 모든 것"
HANGUL = "\uac00-\ud7a3"
#: A Korean term: Hangul words joined by single spaces or hyphens, optionally after an acronym ("KL 발산").
KOREAN_TERM = re.compile(
    rf"(?:\b[A-Z]{{2,}} )?[{HANGUL}]+(?:(?: |\n|-)[{HANGUL}]+)*(?: [A-Z]{{2,}}\b(?![{HANGUL}]))?"
)
PARENS = re.compile(r"\(([^()]*)\)")


def _normalize(text: str) -> str:
    """Lower case, markup and hyphens out, whitespace collapsed: 'maximum-likelihood **estimation**'."""
    text = re.sub(r"[*`_]", "", text).replace("\u2013", " ").replace("-", " ")
    return re.sub(r"\s+", " ", text).strip(" .,;:").lower()


def _ends_with(text: str, phrase: str) -> bool:
    text, phrase = _normalize(text), _normalize(phrase)
    if text.endswith(phrase + "s"):  # a plural: "Autoencoders (오토인코더)"
        text = text[:-1]
    return text.endswith(phrase) and (len(text) == len(phrase) or not text[-len(phrase) - 1].isalnum())


def parse_glossary(guide_text: str):
    """-> (terms {korean: [english variants]}, not_used {spelling: korean term it stands for})."""
    section = guide_text[guide_text.index("## Glossary") :]
    terms, not_used = {}, {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 4 or cells[0] in ("한국어", "") or set(cells[0]) <= set("-"):
            continue
        korean = cells[0].replace("†", "").strip()
        assert korean not in terms, f"glossary lists {korean!r} twice"
        assert KOREAN_TERM.fullmatch(korean), f"glossary cell {cells[0]!r} must hold exactly one Korean term"
        terms[korean] = [e.strip() for e in cells[1].split(" / ") if e.strip()]
        for old in filter(None, (o.strip() for o in cells[2].split(","))):
            not_used[old] = korean
    return terms, not_used


def _guide_text_outside_glossary() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[: text.index("## Glossary")]


def _documents():
    docs = {
        path.name: "\n\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
        )
        for path in NOTEBOOKS
    }
    docs["docs/teaching.md (outside the glossary)"] = _guide_text_outside_glossary()
    docs["README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    return docs


GLOSSARY, NOT_USED = parse_glossary(GUIDE.read_text(encoding="utf-8"))
DOCUMENTS = _documents()


def term_problems(text: str, terms: dict, not_used: dict) -> list[str]:
    """Every way ``text`` departs from the glossary, one line each (empty: it agrees)."""
    problems = []
    for old, term in not_used.items():
        if old in text:
            problems.append(f"uses {old!r}; the glossary's term for this concept is {term!r}")
    english_to_korean = {_normalize(e): k for k, variants in terms.items() for e in variants}
    for found in KOREAN_TERM.finditer(text):
        term = found.group().replace("\n", " ")
        if term != LECTURE_TITLE and term not in terms and term not in not_used:
            problems.append(f"Korean term {term!r} is not in the glossary")
    for group in PARENS.finditer(text):
        content = group.group(1)
        korean = [t.replace("\n", " ") for t in KOREAN_TERM.findall(content) if t.replace("\n", " ") in terms]
        if not korean:  # English in parentheses after a Korean term: "잠재 공간 (latent space)"
            owner = english_to_korean.get(_normalize(content))
            prefix = text[max(0, group.start() - 40) : group.start()].rstrip()
            for term in terms:
                if owner is not None and owner != term and prefix.endswith(term):
                    problems.append(f"{term!r} is glossed as {content!r}, the English of {owner!r}")
            continue
        items = [i for i in re.split(r"[,;:]", content) if not re.search(f"[{HANGUL}]", i)]
        candidates = [text[max(0, group.start() - 120) : group.start()]] + items
        for term in korean:
            if not any(_ends_with(c, e) for c in candidates for e in terms[term]):
                context = _normalize(text[max(0, group.start() - 50) : group.end()])
                problems.append(
                    f"{term!r} does not follow an English term of its glossary row "
                    f"({' / '.join(terms[term])}): ...{context}"
                )
    return problems


def test_glossary_has_one_term_per_concept():
    assert len(GLOSSARY) >= 40
    english = [_normalize(e) for variants in GLOSSARY.values() for e in variants]
    assert len(english) == len(set(english)), "an English term is listed under two Korean terms"
    assert not set(NOT_USED) & set(GLOSSARY), "a term is both used and 'not used'"
    # the two choices the course made (issue 13)
    assert "reconstruction" in GLOSSARY["재구성"] and NOT_USED["복원"] == "재구성"
    assert "ELBO" in GLOSSARY["증거 하한"] and NOT_USED["변분 하한"] == "증거 하한"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_uses_the_glossary_terms(name):
    problems = term_problems(DOCUMENTS[name], GLOSSARY, NOT_USED)
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_unused_spelling_in_code_cells(path):
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert not [old for old in NOT_USED if old in code]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the reconstruction (재구성) loss", []),
        ("the reconstruction (복원) loss", ["uses '복원'"]),
        ("the **evidence lower bound (ELBO, 증거 하한)**", []),
        ("the lower bound (변분 하한)", ["uses '변분 하한'"]),
        ("the lower bound (증거 하한)", ["'증거 하한' does not follow"]),
        ("maximum-likelihood\nestimation (최대 우도 추정)", []),
        ("the decoder (인코더)", ["'인코더' does not follow"]),
        ("a brand-new idea (새로운 개념)", ["'새로운 개념' is not in the glossary"]),
        ("잠재 공간 (latent space)", []),
        ("잠재 공간 (prior)", ["'잠재 공간' is glossed as 'prior'"]),
        ("## 5. The denoising autoencoder (잡음 제거 오토인코더; Vincent et al. 2008)", []),
        ("the KL divergence (KL 발산)", []),
    ],
)
def test_the_checker_catches_what_it_should(text, expected):
    """The check itself can fail: known-bad snippets give the expected problems, good ones none."""
    problems = term_problems(text, GLOSSARY, NOT_USED)
    assert len(problems) == len(expected), problems
    for problem, start in zip(sorted(problems), sorted(expected)):
        assert start in problem, (problem, start)
