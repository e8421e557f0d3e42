"""No float64 on the device: Apple's MPS has none, so a cast to float64 must happen on the CPU.

MPS cannot run here, so the rule is read from the code: every cast to float64 (``.double()``,
``.to(torch.float64)``, ``.type(torch.float64)``) must be applied to a tensor that the same expression has
moved to the CPU (``.cpu()``) or created there, and no tensor is created in float64 on a ``device=``
other than the CPU.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
FLOAT64 = {"float64", "double"}
#: Methods that keep a tensor where it is: looking through them finds the ``.cpu()`` or the creation.
KEEPS_DEVICE = {
    "detach",
    "flatten",
    "reshape",
    "view",
    "clone",
    "float",
    "abs",
    "exp",
    "squeeze",
    "contiguous",
}
#: torch functions that create a tensor on the CPU unless given ``device=``.
CREATES = {
    "tensor",
    "as_tensor",
    "zeros",
    "ones",
    "full",
    "rand",
    "randn",
    "arange",
    "linspace",
    "empty",
    "eye",
}


def _is_float64(node) -> bool:
    return (
        isinstance(node, ast.Attribute) and node.attr in FLOAT64 and getattr(node.value, "id", "") == "torch"
    )


def _device_kwarg(call: ast.Call):
    return next((k.value for k in call.keywords if k.arg == "device"), None)


def _on_cpu(node) -> bool:
    """Whether the expression ``node`` is a tensor known to be on the CPU."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in {"cpu", "numpy"}:
        return True
    if isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "torch" and func.attr in CREATES:
        device = _device_kwarg(node)
        return device is None or (isinstance(device, ast.Constant) and device.value == "cpu")
    if isinstance(func, ast.Attribute) and func.attr in KEEPS_DEVICE:
        return _on_cpu(func.value)
    return False


def _casts_to_float64(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "double" and not call.args:
        return True
    if func.attr in {"to", "type"}:
        return any(_is_float64(a) for a in call.args) or any(
            k.arg == "dtype" and _is_float64(k.value) for k in call.keywords
        )
    return False


def float64_on_device(source: str) -> list[int]:
    """Line numbers of float64 casts or creations that may run on a non-CPU device."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        if _casts_to_float64(node) and not _on_cpu(node.func.value):
            lines.append(node.lineno)
        dtype = next((k.value for k in node.keywords if k.arg == "dtype"), None)
        device = _device_kwarg(node)
        on_cpu = device is None or (isinstance(device, ast.Constant) and device.value == "cpu")
        if dtype is not None and _is_float64(dtype) and not on_cpu:
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_package_casts_to_float64_only_on_the_cpu():
    found = {
        f"{path.relative_to(PACKAGE.parent)}:{line}": path.read_text().splitlines()[line - 1].strip()
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in float64_on_device(path.read_text())
    }
    assert not found, "float64 on the device (MPS has none): move to the CPU first, then cast:\n" + "\n".join(
        f"  {where}: {code}" for where, code in found.items()
    )


def test_the_rule_catches_what_mps_rejects_and_passes_what_it_accepts():
    rejected = [
        "mu.double().var(0)",
        "x.detach().double().cpu()",
        "x.to(torch.float64)",
        "x.to(device, dtype=torch.float64)",
        "torch.zeros(3, dtype=torch.float64, device=device)",
        "x.type(torch.double)",
    ]
    accepted = [
        "mu.detach().cpu().double()",
        "x.cpu().to(torch.float64)",
        "torch.zeros(3, dtype=torch.float64)",
        "torch.tensor([1.0], dtype=torch.float64).double()",
        "x.float()",
        "x.to(device)",
    ]
    assert all(float64_on_device(code) == [1] for code in rejected), [
        c for c in rejected if not float64_on_device(c)
    ]
    assert not any(float64_on_device(code) for code in accepted), [
        c for c in accepted if float64_on_device(c)
    ]
