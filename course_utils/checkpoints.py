"""Train once, then load: a weights cache keyed by everything that made the model.

``train_once(name, model, train_fn, *args, **kwargs)`` runs ``train_fn(model, *args, **kwargs)`` the
first time and caches the trained weights; a later call with the same inputs loads them. The key
(:func:`cache_key`) is derived from the call, never written by hand:

- the arguments of ``train_fn``, bound to its signature with its defaults applied: tensors by a hash
  of their content (with shape and dtype), functions by their name, the values they close over and,
  for a notebook's own functions, their bytecode and the globals they read; other values as they are;
- the model: its class, its architecture (``repr``) and its initial weights (so its seed);
- the code: the source files (comments and docstrings aside) of the core training modules and of every
  course module that defines the model's class or a function involved;
- :data:`FORMAT_VERSION` and fast mode.

Files are plain ``torch.save`` dicts of tensors, numbers and strings, read back with
``torch.load(..., weights_only=True)`` (no pickled code is ever executed). Each holds a SHA-256 of its
weights, checked on load together with their finiteness, so a damaged file is retrained, never used.
A cache that cannot be written costs only the caching: the trained model is returned, with one line
naming the cause (a full disk, a folder that is not writable, a file where a folder should be).
"""

from __future__ import annotations

import ast
import dis
import errno
import functools
import hashlib
import inspect
import json
import math
import os
import re
import shutil
import sys
import sysconfig
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from course_utils import config, data, weights
from course_utils.files import replaced
from course_utils.i18n import translate

#: Bump when the file layout changes, or when a change that the code digest cannot see (a library's
#: behaviour the course relies on) must retrain every cached model.
FORMAT_VERSION = 2
#: The course files every training run depends on: the models, the losses, the loop and its batches.
CORE_FILES = (
    "course_utils/models.py",
    "course_utils/losses.py",
    "course_utils/train.py",
    "course_utils/data.py",
)
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_LIBRARY_PATHS = tuple({str(Path(sysconfig.get_path(k)).resolve()) for k in ("stdlib", "purelib", "platlib")})
_TEMPORARY = re.compile(r"^\.(?P<final>.+\.pt)\.tmp(?P<pid>\d+)$")


def cache_dir() -> Path:
    """``COURSE_CACHE_DIR``, else ``~/.cache/all-about-autoencoders/checkpoints``."""
    return config.course_dir("checkpoints", "COURSE_CACHE_DIR")


# ------------------------------------------------------------------ the key


def _sha256(*chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.encode() if isinstance(chunk, str) else chunk)
    return digest.hexdigest()


def _tensor_bytes(t: torch.Tensor) -> memoryview:
    flat = t.detach().to("cpu").contiguous().reshape(-1)
    return memoryview(flat.view(torch.uint8).numpy()) if flat.numel() else memoryview(b"")


def tensor_fingerprint(t: torch.Tensor) -> dict:
    """A tensor's content hash (every byte), shape and dtype: two different tensors of one size differ."""
    return {"tensor": _sha256(_tensor_bytes(t))[:32], "shape": list(t.shape), "dtype": str(t.dtype)}


def weights_digest(state_dict: dict) -> str:
    """SHA-256 over a state dict's names, dtypes, shapes and bytes, in its order."""
    digest = hashlib.sha256()
    for name, t in state_dict.items():
        digest.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        digest.update(_tensor_bytes(t))
    return digest.hexdigest()


@functools.lru_cache(maxsize=256)
def _source_digest(path: str, mtime_ns: int, size: int) -> str:
    """A source file's syntax tree without docstrings: a comment or docstring edit keeps the key."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return _sha256(ast.dump(tree))[:32]


def _course_file(module_name: str) -> str | None:
    """``course_utils/.../x.py`` for a module of this package, else None."""
    file = getattr(sys.modules.get(module_name or ""), "__file__", None)
    if not file or (module_name or "").partition(".")[0] != "course_utils":
        return None
    return Path(file).resolve().relative_to(_PACKAGE_ROOT).as_posix()


def _in_library(filename: str | None) -> bool:
    """Code of the standard library or an installed package: named, not hashed (its version pins it)."""
    return filename is not None and (
        filename.startswith("<frozen") or str(Path(filename).resolve()).startswith(_LIBRARY_PATHS)
    )


def _library_class(c: type) -> bool:
    """A class of the standard library or an installed package, but never the course's own: installed from
    its wheel, the course sits among the packages, yet its classes are keyed by their files and state."""
    module = sys.modules.get(c.__module__)
    return (
        c.__module__ != "__main__"
        and c.__module__.partition(".")[0] != "course_utils"
        and (c.__module__ in sys.builtin_module_names or _in_library(getattr(module, "__file__", None)))
    )


def _const(c) -> str:
    """A code constant as stable text (a frozenset's order changes with the hash seed)."""
    if isinstance(c, types.CodeType):
        return _code_digest(c)
    if isinstance(c, (tuple, frozenset)):
        items = [_const(x) for x in c]
        return f"{type(c).__name__}({', '.join(sorted(items) if isinstance(c, frozenset) else items)})"
    return repr(c)


def _code_digest(code: types.CodeType) -> str:
    """Bytecode, constants (nested functions' code included) and names of a notebook's own function."""
    return _sha256(code.co_code, _const(code.co_consts), repr(code.co_names))[:32]


def _global_names(code: types.CodeType) -> set[str]:
    """The globals a function's code (its nested functions' included) reads; not attribute names."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a name the function closes over, not assigned yet
        return None


class _Keying:
    """Turns values into JSON data that changes when they do, collecting the course files involved."""

    def __init__(self):
        self.files: set[str] = set()
        self._active: set[int] = set()
        self._tensors: dict[int, dict] = {}  # one hash per tensor, however often it is referred to

    def value(self, v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, (torch.Tensor, np.ndarray)):
            if id(v) not in self._tensors:
                self._tensors[id(v)] = tensor_fingerprint(torch.as_tensor(v))
            return self._tensors[id(v)]
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if isinstance(v, (set, frozenset)):
            return sorted((self.value(x) for x in v), key=json.dumps)
        if isinstance(v, dict):
            return {str(k): self.value(x) for k, x in v.items()}
        if isinstance(v, (torch.device, torch.dtype)):
            return str(v)
        if isinstance(v, torch.Generator):
            return {"generator": _sha256(_tensor_bytes(v.get_state()))[:32]}
        if id(v) in self._active:  # a function that refers to itself
            return {"recursion": getattr(v, "__qualname__", type(v).__qualname__)}
        self._active.add(id(v))
        try:
            return self._composite(v)
        finally:
            self._active.discard(id(v))

    def _composite(self, v):
        if isinstance(v, torch.nn.Module):
            return {"module": self.cls(type(v)), "repr": repr(v), "weights": weights_digest(v.state_dict())}
        if isinstance(v, functools.partial):
            return {
                "partial": self.value(v.func),
                "args": self.value(v.args),
                "kwargs": self.value(v.keywords),
            }
        if isinstance(v, types.MethodType):
            return {"method": self.value(v.__func__), "self": self.value(v.__self__)}
        if isinstance(v, types.FunctionType):
            return self.function(v)
        if isinstance(v, types.ModuleType):
            self._add_file(v.__name__)
            return {"module": v.__name__}
        if isinstance(v, type):
            return self.cls(v)
        if callable(v) and not hasattr(v, "__dict__"):  # a builtin such as torch.sigmoid
            return {"builtin": f"{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', repr(v))}"}
        if hasattr(v, "__dict__") and not _library_class(type(v)):  # e.g. a KL warm-up schedule
            return {"object": self.cls(type(v)), "state": self.value(vars(v))}
        raise TypeError(f"cannot key a training argument of type {type(v).__qualname__}")

    def _add_file(self, module_name: str) -> bool:
        file = _course_file(module_name)
        if file:
            self.files.add(file)
        return file is not None

    def cls(self, c: type):
        """A class by name; a notebook's own class also by the code of its methods."""
        out = {"class": f"{c.__module__}.{c.__qualname__}"}
        for base in c.__mro__:
            if not self._add_file(base.__module__) and not _library_class(base):
                methods = {k: f for k, f in vars(base).items() if isinstance(f, types.FunctionType)}
                out[base.__qualname__] = {k: _code_digest(f.__code__) for k, f in sorted(methods.items())}
        return out

    def function(self, fn: types.FunctionType):
        """Name, defaults, closure; a notebook's own function also its bytecode and the globals it reads."""
        out = {
            "function": f"{fn.__module__}.{fn.__qualname__}",
            "defaults": self.value(fn.__defaults__),
            "kwdefaults": self.value(fn.__kwdefaults__),
            "closure": [self.value(_contents(cell)) for cell in fn.__closure__ or ()],
        }
        if not self._add_file(fn.__module__) and not _in_library(fn.__code__.co_filename):
            out["code"] = _code_digest(fn.__code__)
            names = sorted(n for n in _global_names(fn.__code__) if n in fn.__globals__)
            out["globals"] = {n: self._global(fn.__globals__[n]) for n in names}
        return out

    def _global(self, v):
        try:
            return self.value(v)
        except TypeError:  # e.g. a figure the function draws on: not a training input
            return {"unkeyed": type(v).__qualname__}


def cache_key(model: torch.nn.Module, train_fn: Callable, *args, **kwargs) -> dict:
    """Everything that makes the model ``train_fn(model, *args, **kwargs)`` trains (see the module).

    ``{"arguments": {name: ...}, "model": ..., "train_fn": ..., "code": {file: digest}, "format", "fast"}``.
    """
    try:
        bound = inspect.signature(train_fn).bind(model, *args, **kwargs)
    except TypeError as err:
        raise TypeError(f"{getattr(train_fn, '__qualname__', train_fn)}: {err}") from err
    bound.apply_defaults()
    keying = _Keying()
    arguments = {name: keying.value(value) for name, value in list(bound.arguments.items())[1:]}
    key = {
        "arguments": arguments,
        "model": keying.value(model),
        "train_fn": keying.value(train_fn),
        "format": FORMAT_VERSION,
        "fast": config.FAST,
    }
    files = sorted(keying.files | set(CORE_FILES))
    key["code"] = {f: _source_digest(str(_PACKAGE_ROOT / f), *_stat(_PACKAGE_ROOT / f)) for f in files}
    return key


def _stat(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def checkpoint_path(name: str, key: dict) -> Path:
    """``<cache_dir>/<name>-<16 hex digits of the key's hash>.pt``."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"checkpoint name must be a plain file name, got {name!r}")
    digest = _sha256(json.dumps(key, sort_keys=True))[:16]
    return cache_dir() / f"{name}-{digest}.pt"


# ------------------------------------------------------------------ files


def save(path: Path, model: torch.nn.Module, history: dict | None, key: dict) -> None:
    """Write atomically (to a hidden temporary file, then rename), so an interrupted save loses nothing.

    Raises whatever writing raised (``torch.save`` reports a full disk as a ``RuntimeError``); the
    temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "state_dict": state,
        "weights_sha256": weights_digest(state),
        "history": {str(k): [float(v) for v in vals] for k, vals in (history or {}).items()},
        "key": json.dumps(key, sort_keys=True),
        "data": getattr(data.loaded(), "fingerprint", None),  # what was loaded: for the weights archive
        "format": FORMAT_VERSION,
    }
    with replaced(path) as temporary:
        torch.save(payload, temporary)


def load(path: Path, model: torch.nn.Module) -> dict[str, list[float]]:
    """Check the file, load its weights into ``model`` (in place) and return the stored history.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` (one line) for a damaged,
    malformed or mismatched one; ``model`` is untouched then.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{path.name} is damaged or not a course checkpoint ({_first_line(err)})") from err
    state, history = _checked_payload(path.name, payload)
    _check_fits(path.name, state, model.state_dict())
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"{path.name} does not fit this model ({_first_line(err)})") from err
    return history


def _checked_payload(filename: str, payload) -> tuple[dict, dict]:
    """``(state_dict, history)`` of a loaded file, after checking its form, digest and finiteness."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise ValueError(f"{filename} is not a course checkpoint of format {FORMAT_VERSION}")
    state, history = payload.get("state_dict"), payload.get("history", {})
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"{filename} holds no state dict of weights (found {type(state).__name__})")
    if not isinstance(history, dict) or not all(
        isinstance(k, str)
        and isinstance(v, list)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        for k, v in history.items()
    ):
        raise ValueError(f"{filename} holds a malformed history (not a dict of lists of numbers)")
    if payload.get("weights_sha256") != weights_digest(state):
        raise ValueError(f"{filename} is damaged: its weights do not match their SHA-256")
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{filename} holds non-finite weights ({bad[0]})")
    return state, history


def _check_fits(filename: str, state: dict, expected: dict) -> None:
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{filename} does not fit this model (missing {missing}, unexpected {unexpected})")
    for k, t in expected.items():
        if state[k].shape != t.shape:
            got, want = list(state[k].shape), list(t.shape)
            raise ValueError(f"{filename} does not fit this model ({k}: {got} in the file, {want} here)")


def _first_line(err: BaseException, limit: int = 120) -> str:
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def why_not_saved(folder: Path, err: BaseException, needed: int) -> str:
    """The cause of a failed save in words: a file in the way, a full disk, no permission, else the error."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return f"{part} is a file, not a folder"
    errno_ = getattr(err, "errno", None)
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        free = math.inf
    if errno_ in (errno.ENOSPC, errno.EDQUOT) or free < needed:
        return f"the disk is full ({free / 1e6:.1f} MB free, {needed / 1e6:.1f} MB needed)"
    if errno_ in (errno.EACCES, errno.EPERM, errno.EROFS) or not os.access(existing, os.W_OK):
        return f"{existing} is not writable"
    return _first_line(err)


def remove_abandoned_temporaries(folder: Path) -> list[Path]:
    """Delete the hidden ``.<name>.pt.tmp<pid>`` files of saves killed mid-way (their process is gone).

    Only files of that pattern in ``folder``; the files of a process still running are kept. POSIX only
    (elsewhere a process cannot be asked whether it is alive without harming it). Returns what went.
    """
    if os.name != "posix" or not folder.is_dir():
        return []
    removed = []
    for path in folder.iterdir():
        match = _TEMPORARY.match(path.name)
        if match and path.is_file() and not _process_alive(int(match["pid"])):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


# ------------------------------------------------------------------ the call


def train_once(name: str, model: torch.nn.Module, train_fn: Callable, /, *args, **kwargs):
    """``train_fn(model, *args, **kwargs)`` once; later calls load its weights: ``(model, history)``.

    ``model`` is freshly built (seed it first: its initial weights are part of the key); it is trained
    or loaded in place and returned in eval mode. ``train_fn`` returns the history (or None). The key
    is :func:`cache_key`; a damaged or mismatched file is named in one line and the model retrained; a
    cache that cannot be written is named in one line and the trained model returned all the same.
    """
    key = cache_key(model, train_fn, *args, **kwargs)
    path = checkpoint_path(name, key)
    remove_abandoned_temporaries(path.parent)
    if not path.is_file():
        weights.fetch(path)  # from the archive COURSE_WEIGHTS names, if any, checked against its manifest
    if path.is_file():
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        try:
            history = load(path, model)
            model.eval()
            print(translate(f"Loaded the trained {name!r} from the cache ({path.name})."))
            return model, history
        except ValueError as err:
            print(translate(f"Retraining {name!r}: {err}"))
            model.load_state_dict(initial)
    else:
        why = _why_retrained(name, key, path.parent)
        if why:
            print(translate(f"Training {name!r}: {why}"))
    # Training seeds and draws from the global generators; fork them, so that the cells after this one see
    # the same random numbers whether the model was trained now or loaded (a warm run repeats a cold one).
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        history = train_fn(model, *args, **kwargs) or {}
    model.eval()
    try:
        save(path, model, history, key)
    except Exception as err:  # any failure to write costs the caching only, never the model
        size = sum(t.numel() * t.element_size() for t in model.state_dict().values())
        why = why_not_saved(path.parent, err, needed=size + 65536)  # + the file's own records
        print(
            translate(
                f"Warning: {name!r} is trained but not cached: {why} (COURSE_CACHE_DIR picks another folder)."
            )
        )
    return model, history


def _why_retrained(name: str, key: dict, folder: Path) -> str | None:
    """For a key with no file: how the closest cached version of ``name`` differs (None: there is none)."""
    siblings = re.compile(rf"^{re.escape(name)}-[0-9a-f]{{16}}\.pt$")
    differences = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if siblings.match(path.name):
            try:
                old = json.loads(torch.load(path, map_location="cpu", weights_only=True, mmap=True)["key"])
            except Exception:
                old = {}
            differences.append(_differences(old, key))
    if not differences:
        return None
    parts = min(differences, key=len)
    if parts == ["format"]:
        return "the cached one was made by an older version of the course."
    return f"no cached model for these settings, data and code (the cached one differs in {', '.join(parts)})"


def _differences(old: dict, new: dict) -> list[str]:
    """What differs between two keys, in words: argument names, 'the model', changed files..."""
    if not isinstance(old, dict) or old.get("format") != new["format"]:
        return ["format"]
    old_args = old.get("arguments", {})
    out = [n for n, v in new["arguments"].items() if n not in old_args or old_args[n] != v]
    out += ["the model or its initial weights"] if old.get("model") != new["model"] else []
    out += ["the training function"] if old.get("train_fn") != new["train_fn"] else []
    out += ["fast mode"] if old.get("fast") != new["fast"] else []
    old_code = old.get("code", {})
    changed = [f.removeprefix("course_utils/") for f, d in new["code"].items() if old_code.get(f) != d]
    out += [f"the code of {', '.join(changed)}"] if changed else []
    return out or ["nothing visible (the same key)"]


# ------------------------------------------------------------------ the old call (temporary)
