"""The weights archive (COURSE_WEIGHTS): checked file by file, never writing outside the cache, never
replacing a local checkpoint; crafted archives are refused; an archive served over loopback round-trips."""

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from course_utils import weights


def _checkpoint(folder: Path, name: str, payload: bytes) -> Path:
    path = folder / name
    path.write_bytes(payload)
    return path


@pytest.fixture()
def archive(tmp_path):
    """A real archive of two 'checkpoints' exported by the course."""
    source = tmp_path / "trained"
    source.mkdir()
    files = [
        _checkpoint(source, "ae2d-0123456789abcdef.pt", b"A" * 3000),
        _checkpoint(source, "vae2d-fedcba9876543210.pt", b"B" * 700),
    ]
    out = tmp_path / "weights.tar"
    manifest = weights.export(files, out)
    assert set(manifest) == {f.name for f in files}
    return out


def _use(monkeypatch, location):
    monkeypatch.setenv(weights.VARIABLE, str(location))


def test_a_missing_checkpoint_comes_from_the_archive_checked(archive, tmp_path, monkeypatch, capsys):
    _use(monkeypatch, archive)
    dest = tmp_path / "cache" / "ae2d-0123456789abcdef.pt"
    assert weights.fetch(dest) is True
    assert dest.read_bytes() == b"A" * 3000
    assert "from the weights archive" in capsys.readouterr().out
    assert (
        weights.fetch(tmp_path / "cache" / "ae2d-1111111111111111.pt") is False
    )  # not in the archive: train


def test_a_local_checkpoint_is_never_replaced(archive, tmp_path, monkeypatch):
    _use(monkeypatch, archive)
    dest = tmp_path / "ae2d-0123456789abcdef.pt"
    dest.write_bytes(b"mine")
    assert weights.fetch(dest) is False and dest.read_bytes() == b"mine"


def _craft(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], manifest: dict) -> Path:
    with tarfile.open(path, "w") as tar:
        text = json.dumps(manifest).encode()
        info = tarfile.TarInfo(weights.MANIFEST)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
        for info, content in members:
            info.size = len(content) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return path


def _entry(content: bytes) -> dict:
    return {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


def test_a_tampered_file_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    good, bad = b"weights" * 100, b"weighTs" * 100
    name = "ae2d-0123456789abcdef.pt"
    _use(monkeypatch, _craft(tmp_path / "w.tar", [(tarfile.TarInfo(name), bad)], {name: _entry(good)}))
    dest = tmp_path / "cache" / name
    assert weights.fetch(dest) is False and not dest.exists()
    out = capsys.readouterr().out.strip()
    assert "does not match the SHA-256" in out and "training as usual" in out and "\n" not in out
    assert list(dest.parent.iterdir()) == []  # no temporary file left behind


def test_names_that_climb_out_links_and_unlisted_members_never_write_outside_the_cache(tmp_path, monkeypatch):
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    evil = b"evil"
    link = tarfile.TarInfo("ae2d-0123456789abcdef.pt")
    link.type, link.linkname = tarfile.SYMTYPE, str(outside / "target")
    members = [
        (tarfile.TarInfo("../outside/climbed.pt"), evil),
        (tarfile.TarInfo(str(outside / "absolute.pt")), evil),
        (link, b""),
        (tarfile.TarInfo("vae2d-fedcba9876543210.pt"), evil),  # not in the manifest
    ]
    manifest = {
        "../outside/climbed.pt": _entry(evil),
        str(outside / "absolute.pt"): _entry(evil),
        "ae2d-0123456789abcdef.pt": _entry(evil),
    }
    _use(monkeypatch, _craft(tmp_path / "w.tar", members, manifest))
    for name in ("ae2d-0123456789abcdef.pt", "vae2d-fedcba9876543210.pt", "climbed.pt", "absolute.pt"):
        assert weights.fetch(cache / name) is False
    assert list(outside.iterdir()) == [] and list(cache.iterdir()) == []


def test_an_archive_larger_than_its_manifest_is_refused(tmp_path, monkeypatch, capsys):
    name = "ae2d-0123456789abcdef.pt"
    content = b"w" * 1000
    hidden = tarfile.TarInfo("padding.bin")
    archive = _craft(
        tmp_path / "w.tar",
        [(tarfile.TarInfo(name), content), (hidden, b"\0" * 200_000)],
        {name: _entry(content)},
    )
    _use(monkeypatch, archive)
    assert weights.fetch(tmp_path / "cache" / name) is False
    assert "more than its manifest accounts for" in capsys.readouterr().out


def test_an_archive_without_a_manifest_or_not_a_tar_is_named(tmp_path, monkeypatch, capsys):
    not_tar = tmp_path / "w.tar"
    not_tar.write_bytes(b"this is not an archive" * 100)
    _use(monkeypatch, not_tar)
    assert weights.fetch(tmp_path / "cache" / "ae2d-0123456789abcdef.pt") is False
    assert "Not using the weights archive" in capsys.readouterr().out


def _serve(folder: Path) -> http.server.ThreadingHTTPServer:
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_an_oversized_download_is_stopped_and_leaves_nothing(archive, tmp_path, monkeypatch, capsys):
    server = _serve(archive.parent)
    try:
        monkeypatch.setattr(weights, "MAX_DOWNLOAD", 1000)  # the archive is over 4,000 bytes
        monkeypatch.setenv("COURSE_WEIGHTS_CACHE", str(tmp_path / "downloads"))
        _use(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}/{archive.name}")
        assert weights.fetch(tmp_path / "cache" / "ae2d-0123456789abcdef.pt") is False
        assert "more than any course archive" in capsys.readouterr().out
        assert list((tmp_path / "downloads").iterdir()) == []  # no partial download left behind
    finally:
        server.shutdown()
        server.server_close()


def test_the_archive_round_trips_over_loopback(archive, tmp_path, monkeypatch, capsys):
    server = _serve(archive.parent)
    try:
        monkeypatch.setenv("COURSE_WEIGHTS_CACHE", str(tmp_path / "downloads"))
        _use(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}/{archive.name}")
        cache = tmp_path / "cache"
        assert weights.fetch(cache / "ae2d-0123456789abcdef.pt") is True
        assert (
            weights.fetch(cache / "vae2d-fedcba9876543210.pt") is True
        )  # the download is kept: fetched once
        assert (cache / "vae2d-fedcba9876543210.pt").read_bytes() == b"B" * 700
        assert len(list((tmp_path / "downloads").iterdir())) == 1
    finally:
        server.shutdown()
        server.server_close()
