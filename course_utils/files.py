"""Files the course writes are replaced whole: written beside their final name, then renamed over it.

    with files.replaced(path) as temporary:
        torch.save(payload, temporary)

An interrupted or failed write (a full disk, a killed kernel) leaves ``path`` as it was; a link at
``path`` is replaced, not written through. The temporary name is ``.<name>.tmp<pid>``: hidden, and
traceable to the process that wrote it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def temporary_name(path: Path) -> Path:
    """The hidden file beside ``path`` that this process writes before renaming it to ``path``."""
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


@contextlib.contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, rename it to ``path``.
    The temporary file is removed in every case (it is ours: the name holds this process's id)."""
    temporary = temporary_name(Path(path))
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
