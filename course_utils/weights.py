"""Trained weights without the wait: an archive of cached checkpoints, each checked before use.

``COURSE_WEIGHTS=FILE_OR_URL`` names a tar archive written by ``python -m course_utils.classroom weights
export FILE``: the checkpoint files of one mode and data source, and ``manifest.json``, which gives each
file's SHA-256 and size. When a model is not in the local cache, :func:`fetch` looks for its file in the
archive, checks it against the manifest and copies it into the cache; the checkpoint is then loaded as
usual, with ``weights_only=True`` and its own weights digest checked.

An archive from a URL is untrusted input. Nothing is extracted by the names the archive gives: only a
regular member whose name is exactly the wanted file's, listed in the manifest with that size and digest,
is read, and it is written to the cache under the name the course chose. Links, other names (``..``,
absolute paths) and members missing from the manifest are ignored; an archive larger than its manifest
accounts for is refused. A local checkpoint is never replaced.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path

from course_utils import config
from course_utils.files import replaced

VARIABLE = "COURSE_WEIGHTS"
MANIFEST = "manifest.json"
#: Seconds to wait for an archive's server.
TIMEOUT = 10.0
#: The most an archive from a URL may hold: every checkpoint of the course in one mode is far smaller.
MAX_DOWNLOAD = 2 << 30
#: What tar adds to its files: headers (up to three 512-byte blocks each, with a pax header), padding to
#: 512 bytes, and at most a 20-block record at the end.
_BLOCK, _HEADERS, _END = 512, 3 * 512, 20 * 512


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export(files: list[Path], out: Path) -> dict:
    """Write ``files`` (checkpoints) and their manifest into the tar archive ``out``; return the manifest."""
    manifest = {Path(f).name: {"sha256": _sha256_of(Path(f)), "size": Path(f).stat().st_size} for f in files}
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    with replaced(out) as temporary, tarfile.open(temporary, "w") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(text)
        tar.addfile(info, fileobj=io.BytesIO(text))
        for f in files:
            tar.add(f, arcname=Path(f).name, recursive=False)
    return manifest


def _local_archive(location: str) -> Path:
    """The archive as a local file: a path as it is, a URL downloaded once into the course's cache."""
    if not location.startswith(("http://", "https://")):
        return Path(location).expanduser()
    folder = config.course_dir("weights", "COURSE_WEIGHTS_CACHE")
    target = folder / f"{hashlib.sha256(location.encode()).hexdigest()[:16]}.tar"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with (
        urllib.request.urlopen(location, timeout=TIMEOUT) as response,
        replaced(target) as temporary,
        open(temporary, "wb") as f,
    ):
        received = 0
        for chunk in iter(lambda: response.read(1 << 20), b""):
            received += len(chunk)
            if received > MAX_DOWNLOAD:
                raise ValueError(f"it is over {MAX_DOWNLOAD >> 20:,} MiB, more than any course archive")
            f.write(chunk)
    return target


def _manifest(tar: tarfile.TarFile, archive_size: int) -> dict:
    """The archive's manifest, checked: plain names, sizes that account for the whole archive."""
    member = next((m for m in tar.getmembers() if m.name == MANIFEST), None)
    if member is None or not member.isreg() or member.size > 1 << 20:
        raise ValueError("it has no manifest.json")
    manifest = json.loads(tar.extractfile(member).read())
    if not isinstance(manifest, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)
        for v in manifest.values()
    ):
        raise ValueError("its manifest.json is not a {file: {sha256, size}} table")
    sizes = [member.size, *(v["size"] for v in manifest.values())]
    accounted = sum(-(-size // _BLOCK) * _BLOCK + _HEADERS for size in sizes)
    if archive_size > accounted + _END:
        raise ValueError(f"it is {archive_size:,} bytes, more than its manifest accounts for ({accounted:,})")
    return manifest


def _copy_checked(tar: tarfile.TarFile, member: tarfile.TarInfo, wanted: dict, dest: Path) -> None:
    """Stream ``member`` to a temporary file beside ``dest``, check its digest, link it in (no overwrite)."""
    digest, tmp = hashlib.sha256(), dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    try:
        with tar.extractfile(member) as src, open(tmp, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != wanted["sha256"]:
            raise ValueError(f"{dest.name} does not match the SHA-256 its manifest gives")
        os.link(tmp, dest)  # fails if a local checkpoint appeared meanwhile: it is kept
    finally:
        tmp.unlink(missing_ok=True)


def fetch(dest: Path) -> bool:
    """Put the archive's copy of ``dest.name`` at ``dest`` if ``COURSE_WEIGHTS`` names an archive that
    holds it, checked; True when it did. Any problem is one printed line, and the model trains as usual."""
    location = os.environ.get(VARIABLE, "").strip()
    if not location or dest.exists():
        return False
    try:
        archive = _local_archive(location)
        with tarfile.open(archive, "r:") as tar:
            manifest = _manifest(tar, archive.stat().st_size)
            wanted = manifest.get(dest.name)
            member = next((m for m in tar.getmembers() if m.name == dest.name), None)
            if wanted is None or member is None:
                return False
            if not member.isreg() or member.size != wanted["size"]:
                raise ValueError(f"its {dest.name} is not a plain file of the size its manifest gives")
            dest.parent.mkdir(parents=True, exist_ok=True)
            _copy_checked(tar, member, wanted, dest)
    except FileExistsError:
        return False
    except (OSError, ValueError, tarfile.TarError, json.JSONDecodeError) as err:
        print(f"Not using the weights archive {location} ({VARIABLE}): {err}; training as usual.")
        return False
    print(f"Took {dest.name} from the weights archive (its SHA-256 checked).")
    return True
