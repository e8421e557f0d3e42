"""The Korean edition's text (한국어판, issue 17) says what the English says, in the glossary's terms.

The notebooks' code and completeness are checked in tests/classroom/test_edition.py. Here, for the
Korean notebooks' markdown (notebooks/ko/translations/) and the Korean README and teacher's guide:

- what must survive translation is unchanged: display maths, code spans, heading levels, links;
- no spelling from the glossary's "not used" column appears (outside the glossary's own table);
- the Korean glossary lists the same terms and "not used" spellings as the English one;
- every relative link points at a file that exists, and each edition links the other;
- the copy-edit of issue 26 stays done: no semicolon inside a Korean sentence, none of the slips and
  literal renderings it removed, the lecturer as 이활석, 정규화 항 in the prose of notebooks 4 and 5, and
  the Korean README's teachers' section pointing at the Korean guide.
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


# ---- the copy-edit of issue 26 stays done -------------------------------------------------------------

#: Code and maths, where a semicolon or an English phrase belongs; link targets too.
PROTECTED = re.compile(r"```.*?```|\$\$.+?\$\$|\$[^$\n]+\$|`[^`\n]+`|\]\([^)]*\)", re.S)
HANGUL = re.compile("[\uac00-\ud7a3]")
#: Slips a Korean reader found (issue 26), each with what the edition says instead.
SLIPS = {
    "Hwalsuk Lee": "이활석",
    "모든 최솟값이 전역 최솟값": "모든 극소점(국소 최솟값)이 전역 최솟값 (the theorem is about local minima)",
    "넘어서야 하는 기준선": "적어도 이보다는 낮아야 하는 기준선 (a loss baseline is one to get below)",
    "정직한": "믿을 수 있는 / 제대로 계산한 (not a literal 'honest')",
    "건강한 실행": "정상적인 실행",
    "모습만 바꾼": "사실상 β",
    "모습을 바꾼": "사실상 β",
    "장난감": "간단한 예제",
    "실행 결과가 보여 줍니다.": "실행 결과를 보면, ...",
    "배율과 상수를 빼면": "상수배와 상수항의 차이를 무시하면",
    "우리 숫자": "숫자 is a digit: 수치 / 값 for a number",
    "숫자를 어떻게 읽어야": "수치를 어떻게 읽어야",
    "어떤 숫자끼리": "어떤 수치끼리",
    "코드 숫자": "16차원 코드",
    "숫자 하나로": "값 하나로 / 하나의 수치로",
    "그들의 숫자": "논문 값",
    "간격(gap)": "간극(gap): 간격 is a grid's spacing",
    "간격 log p(x)": "간극 log p(x)",
    "기댓값 표": "예상값 표 (기댓값 is the expectation 𝔼)",
    "**기댓값**": "**예상값**",
    "적대자": "적대적 학습",
    "존재하는 이유": "등장한 이유",
    "예측한 다음 움직여": "먼저 예측하고, 움직여 보세요 (one prompt before every widget)",
    "예측한 다음, 움직여": "먼저 예측하고, 움직여 보세요 (one prompt before every widget)",
    "예측한 뒤 움직여": "먼저 예측하고, 움직여 보세요 (one prompt before every widget)",
}


def _korean_texts():
    """(where, text) for every Korean cell and the two Korean documents."""
    for path in TRANSLATIONS:
        for cell_id, _, korean in _korean_cells(path):
            yield f"{path.stem} {cell_id}", korean
    for korean in DOCUMENTS.values():
        yield korean, (ROOT / korean).read_text(encoding="utf-8")


def korean_semicolons(text: str) -> list[str]:
    """Each semicolon in prose (outside code, maths and links) with Hangul beside it in its clause."""
    prose = PROTECTED.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    found = []
    for hit in re.finditer(";", prose):
        before = prose[max(0, hit.start() - 12) : hit.start()].split("\n")[-1]
        after = prose[hit.end() : hit.end() + 12].split("\n")[0]
        if HANGUL.search(before) or HANGUL.search(after):
            found.append(text[max(0, hit.start() - 30) : hit.end() + 10].replace("\n", " "))
    return found


def slips_in(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text)  # a slip may break across a line
    found = [f"{slip!r} (write {better})" for slip, better in SLIPS.items() if slip in text]
    if re.search(r"(?<!이진 )교차 엔트로피\(BCE\)", text):
        found.append("'교차 엔트로피(BCE)' (BCE is 이진 교차 엔트로피)")
    return found


def test_no_semicolon_inside_a_korean_sentence():
    problems = [f"{where}: ...{hit}..." for where, text in _korean_texts() for hit in korean_semicolons(text)]
    assert not problems, "Korean sentences end with a period, lists with a period or nothing:\n" + "\n".join(
        problems
    )


def test_the_slips_a_korean_reader_found_stay_gone():
    problems = [f"{where}: {slip}" for where, text in _korean_texts() for slip in slips_in(text)]
    assert not problems, "\n".join(problems)


def test_the_lecturer_is_named_in_korean_where_the_english_names_him():
    for english, korean in [(ROOT / e, ROOT / k) for e, k in DOCUMENTS.items()]:
        if "Hwalsuk Lee" in english.read_text(encoding="utf-8"):
            assert "이활석" in korean.read_text(encoding="utf-8"), korean.name
    for path in TRANSLATIONS:
        english = (ROOT / "notebooks" / f"{path.stem}.ipynb").read_text(encoding="utf-8")
        korean = "".join(text for _, _, text in _korean_cells(path))
        assert ("Hwalsuk Lee" in english) <= ("이활석" in korean), path.stem


def test_the_kl_term_is_called_the_regularization_term_in_notebooks_4_and_5():
    for stem in ("04_elbo", "05_vae"):
        (path,) = [p for p in TRANSLATIONS if p.stem == stem]
        prose = PROTECTED.sub(" ", "".join(text for _, _, text in _korean_cells(path)))
        assert "정규화 항" in prose, f"{stem}: the lecture's word for the KL term, 정규화 항, is missing"


def test_the_korean_glossary_notes_are_filled_in_and_the_readme_points_at_the_korean_guide():
    guide = (ROOT / "docs" / "teaching.ko.md").read_text(encoding="utf-8")
    rows = [line for line in guide[guide.index("## 용어집") :].splitlines() if line.startswith("| ")]
    assert [r for r in rows[1:] if r.rstrip(" |").endswith("위치 / 비고")] == [], "a note holds the header"
    readme = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    teachers = readme[readme.index("## 교사를 위한 안내") :].split("\n## ")[0]
    first_item = teachers.split("\n- ")[1]
    assert "docs/teaching.ko.md" in first_item, "teachers' section: send Korean readers to teaching.ko.md"


def test_the_copy_edit_checks_can_fail():
    assert korean_semicolons("부분입니다;\n- 다음") and korean_semicolons("(하나; 픽셀마다)")
    assert not korean_semicolons("*Bayes*; Rezende 2014, `a; b`와 $x;y$")
    assert slips_in("우리 숫자는 그들의 숫자보다 높고, 교차 엔트로피(BCE)는") == [
        "'우리 숫자' (write 숫자 is a digit: 수치 / 값 for a number)",
        "'그들의 숫자' (write 논문 값)",
        "'교차 엔트로피(BCE)' (BCE is 이진 교차 엔트로피)",
    ]
    assert slips_in("이진 교차 엔트로피(BCE)는 정상적인 실행의 수치입니다") == []
    assert slips_in("VAE가 존재하는\n이유") == ["'존재하는 이유' (write 등장한 이유)"]
