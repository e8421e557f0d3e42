"""The package's layout rules, read from the source (ast), so that a wrong import fails here, not in class.

course_utils/ is a core (the modules at the top), one subpackage per chapter (``chK_name``), and the
teacher's tools (``classroom``). The rules (CONTRIBUTING.md):

- the core imports no chapter and not the classroom;
- chapter K imports the core and chapters before K only (never a later one, never the classroom);
- the classroom may import anything;
- no two modules import each other, directly or round a circle, function-level imports included;
- every live widget is built by ``widgets.live_widget``: no other function builds an ipywidgets box;
- a chapter's widgets are in its ``widgets.py`` (the one module of the chapter that imports ipywidgets) and
  its "Your turn" checkers (``check_*``) in its ``exercises.py``; the engine they use,
  ``course_utils/exercises.py``, is core.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
CHAPTER = re.compile(r"^ch(\d+)_[a-z0-9_]+$")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> tuple[str, int]:
    """``("core", 0)``, ``("chapter", K)`` or ``("classroom", 0)`` for a ``course_utils...`` module name."""
    parts = module.split(".")
    if len(parts) < 2 or (len(parts) == 2 and (PACKAGE / f"{parts[1]}.py").exists()):
        return "core", 0
    match = CHAPTER.match(parts[1])
    if match:
        return "chapter", int(match.group(1))
    if parts[1] == "classroom":
        return "classroom", 0
    raise AssertionError(f"{module}: neither core, a chapter (chK_name) nor classroom")


def imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Every ``course_utils`` module ``path`` imports (anywhere in the file, inside functions too, relative
    imports resolved; ``from course_utils.pkg import name`` counts ``course_utils.pkg.name`` when that is a
    module). ``source``: the file's text (default: read it)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "course_utils"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.split(".")[0] != "course_utils":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                as_path = PACKAGE.parent / candidate.replace(".", "/")
                found.add(candidate if as_path.with_suffix(".py").exists() or as_path.is_dir() else base)
    return found


def violations(imports: dict[str, set[str]]) -> list[str]:
    """The broken rules in ``{module: {imported modules}}``, one line each."""
    out = []
    for module, targets in sorted(imports.items()):
        kind, number = part_of(module)
        for target in sorted(targets):
            target_kind, target_number = part_of(target)
            if kind == "core" and target_kind != "core":
                out.append(f"{module} (core) imports {target} ({target_kind}): the core imports no chapter")
            elif kind == "chapter" and target_kind == "classroom":
                out.append(f"{module} (chapter {number}) imports the classroom {target}")
            elif kind == "chapter" and target_kind == "chapter" and target_number > number:
                out.append(f"{module} (chapter {number}) imports the later chapter {target}")
    return out


def all_imports() -> dict[str, set[str]]:
    return {module_name(p): imported_modules(p) for p in sorted(PACKAGE.rglob("*.py"))}


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Import circles in ``{module: {imported modules}}``, each as ``[a, b, ..., a]`` (one per circle found by
    a depth-first walk). A module importing its own package (``course_utils``) is not a circle: Python
    runs the package's ``__init__`` first."""
    found, state = [], {}  # state: 1 on the current path, 2 done

    def walk(module, path):
        state[module] = 1
        for target in sorted(imports.get(module, ())):
            if module.startswith(target + "."):
                continue
            if state.get(target) == 1:
                found.append(path[path.index(target) :] + [target])
            elif target not in state:
                walk(target, path + [target])
        state[module] = 2

    for module in sorted(imports):
        if module not in state:
            walk(module, [module])
    return found


def test_the_tree_is_core_plus_chapters_plus_classroom():
    subpackages = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert subpackages, "no chapter subpackages found"
    for name in subpackages:
        assert CHAPTER.match(name) or name == "classroom", (
            f"course_utils/{name}: not a chapter (chK_name) or classroom"
        )
        assert (PACKAGE / name / "__init__.py").exists(), f"course_utils/{name} has no __init__.py"
    numbers = [int(CHAPTER.match(n).group(1)) for n in subpackages if CHAPTER.match(n)]
    assert len(numbers) == len(set(numbers)), f"two chapters share a number: {subpackages}"


def test_imports_follow_the_layout_rules():
    imports = all_imports()
    assert "course_utils.ch4_elbo.widgets" in imports and imports["course_utils.ch4_elbo.widgets"]
    problems = violations(imports)
    assert not problems, "layout rules broken:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "module, target, broken",
    [
        ("course_utils.losses", "course_utils.ch1_mle.neuron", True),  # the core imports a chapter
        ("course_utils.widgets", "course_utils.classroom.reading", True),  # the core imports the classroom
        ("course_utils.exercises", "course_utils.ch1_mle.exercises", True),  # the engine imports a checker
        ("course_utils.ch5_vae.exercises", "course_utils.ch4_elbo.exercises", False),
        ("course_utils.ch4_elbo.exercises", "course_utils.ch5_vae.exercises", True),
        ("course_utils.ch2_manifold.manifold", "course_utils.ch4_elbo", True),  # a later chapter
        ("course_utils.ch3_autoencoders.corruption", "course_utils.classroom", True),
        ("course_utils.ch4_elbo.quadrature", "course_utils.ch2_manifold.manifold", False),
        ("course_utils.ch4_elbo.quadrature", "course_utils.losses", False),
        ("course_utils.classroom.copies", "course_utils.ch5_vae", False),
    ],
)
def test_the_rule_checker_catches_what_it_should(module, target, broken):
    assert bool(violations({module: {target}})) == broken


def test_no_module_imports_another_that_imports_it_back():
    circles = cycles(all_imports())
    assert not circles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_the_cycle_checker_sees_a_function_level_import():
    """A core module that imported ``data`` inside a function would close data -> mnist_files -> data."""
    imports = all_imports()
    late = "def read():\n    from course_utils import data\n\n    return data\n"
    imports["course_utils.mnist_files"] = imported_modules(PACKAGE / "mnist_files.py", source=late)
    assert imports["course_utils.mnist_files"] == {"course_utils.data"}
    assert ["course_utils.data", "course_utils.mnist_files", "course_utils.data"] in cycles(imports)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_relative_and_from_imports_are_resolved(tmp_path):
    elbo_widgets = PACKAGE / "ch4_elbo" / "widgets.py"
    found = imported_modules(elbo_widgets)
    assert {"course_utils.ch4_elbo.quadrature", "course_utils.widgets", "course_utils.losses"} <= found


BOX_CALLS = {"VBox", "HBox", "Box", "GridBox", "interactive", "interact"}


def test_only_live_widget_builds_a_widget_box():
    """A widget's box (and its observe/redraw skeleton) comes from widgets.LiveWidget, nowhere else."""
    builders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = set()
        if path == PACKAGE / "widgets.py":
            live = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "LiveWidget")
            allowed = {id(n) for n in ast.walk(live)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in allowed:
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in BOX_CALLS:
                    builders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} calls {name}(...)")
    assert not builders, "build widgets with widgets.live_widget:\n" + "\n".join(builders)


MAX_FUNCTION_LINES = 60


def long_functions(path: Path, source: str | None = None) -> list[str]:
    """``"path:line name (N lines)"`` for each function or method in ``path`` longer than
    :data:`MAX_FUNCTION_LINES`, counted from its ``def`` to its last line (a nested function counts alone
    and inside its host)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    return [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_every_function_fits_on_a_screen():
    found = [entry for path in sorted(PACKAGE.rglob("*.py")) for entry in long_functions(path)]
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines; split them:\n" + "\n".join(found)


def test_the_length_checker_counts_from_def_to_the_last_line():
    def method(lines: int) -> str:  # a method of `lines` lines: its def and lines - 1 assignments
        return "class C:\n    def m(self):\n" + "".join(f"        x{i} = {i}\n" for i in range(lines - 1))

    assert long_functions(Path("f.py"), method(MAX_FUNCTION_LINES)) == []
    assert long_functions(Path("f.py"), method(MAX_FUNCTION_LINES + 1)) == [
        f"f.py:2 m ({MAX_FUNCTION_LINES + 1} lines)"
    ]


def test_each_subpackage_docstring_names_its_modules_and_the_package_names_each_subpackage():
    top = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")))
    missing = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        package = init.parent.name
        missing += [] if f"``{package}``" in top else [f"course_utils/__init__.py: ``{package}``"]
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        modules = [p.stem for p in init.parent.glob("*.py") if not p.stem.startswith("__")]
        missing += [f"{package}/__init__.py: :mod:`.{m}`" for m in modules if f":mod:`.{m}`" not in docstring]
    assert not missing, "docstrings that leave out a module:\n" + "\n".join(missing)


def _imports_ipywidgets(tree: ast.Module) -> bool:
    return any(
        (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "ipywidgets" for a in node.names))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ipywidgets")
        for node in ast.walk(tree)
    )


def _checkers_defined(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("check_")
    ]


def chapter_parts_out_of_place(package: Path = PACKAGE) -> list[str]:
    """``"path: why"`` for each chapter module other than ``widgets.py`` that imports ipywidgets, and each
    chapter module other than ``exercises.py`` that defines a ``check_*`` function."""
    found = []
    for path in sorted(package.glob("ch*_*/*.py")):
        if not CHAPTER.match(path.parent.name):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(package.parent)
        if path.name != "widgets.py" and _imports_ipywidgets(tree):
            found.append(f"{where}: imports ipywidgets (a chapter's widgets live in its widgets.py)")
        if path.name != "exercises.py" and _checkers_defined(tree):
            names = ", ".join(_checkers_defined(tree))
            found.append(f"{where}: defines {names} (checkers live in exercises.py)")
    return found


def test_each_chapter_keeps_its_widgets_and_its_checkers_in_one_module_each():
    problems = chapter_parts_out_of_place()
    assert not problems, "chapter parts out of place:\n" + "\n".join(problems)
    checker_modules = sorted(p.parent.name for p in PACKAGE.glob("ch*_*/exercises.py"))
    assert len(checker_modules) == 8, checker_modules  # every notebook has "Your turn" exercises
    assert not (PACKAGE / "classroom" / "exercises.py").exists()


def test_the_exercise_engine_is_core_and_imports_no_chapter():
    found = imported_modules(PACKAGE / "exercises.py")
    assert part_of("course_utils.exercises") == ("core", 0)
    assert all(part_of(m)[0] == "core" for m in found), found
    assert not _checkers_defined(ast.parse((PACKAGE / "exercises.py").read_text(encoding="utf-8")))


def test_the_parts_checker_sees_a_misplaced_widget_and_checker(tmp_path):
    chapter = tmp_path / "course_utils" / "ch9_demo"
    chapter.mkdir(parents=True)
    (chapter / "widgets.py").write_text("import ipywidgets as W\n")
    (chapter / "exercises.py").write_text("def check_x(fn):\n    return fn\n")
    assert chapter_parts_out_of_place(tmp_path / "course_utils") == []
    misplaced = "from ipywidgets import IntSlider\n\n\ndef check_y(fn):\n    return fn\n"
    (chapter / "model.py").write_text(misplaced)
    found = chapter_parts_out_of_place(tmp_path / "course_utils")
    assert len(found) == 2 and "imports ipywidgets" in found[0] and "defines check_y" in found[1], found
