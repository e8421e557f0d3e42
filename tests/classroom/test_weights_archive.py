"""The weights archive end to end: a teacher's run trains and exports; a student's fresh machine, given the
archive's loopback URL, runs the same notebook with every model from the archive and trains nothing."""

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils import weights

ROOT = Path(__file__).resolve().parents[2]
LESSON = """from course_utils import data, recipes
x, _ = data.load(train=True)
ae, _ = recipes.autoencoder(2, x[:256], epochs=1)
vae, _ = recipes.vae(2, x[:256], epochs=1)
print("done")"""


def _run(env: dict) -> str:
    """Run the lesson in a kernel with ``env``; everything it printed."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LESSON)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return "".join(o.get("text", "") for o in nb.cells[0].outputs)


@pytest.fixture()
def served(tmp_path):
    """A server on 127.0.0.1 for the files of ``tmp_path / 'www'``; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(www))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_fresh_machine_takes_every_model_from_the_served_archive_and_refuses_a_tampered_one(
    tmp_path, served
):
    www, url = served
    teacher = {"COURSE_CACHE_DIR": str(tmp_path / "teacher-cache"), "COURSE_DATA_DIR": str(tmp_path / "data")}
    assert "done" in _run(teacher)
    exported = subprocess.run(
        [sys.executable, "-m", "course_utils.classroom", "weights", "export", str(www / "w.tar")],
        env={**os.environ, **teacher},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "2 checkpoints" in exported.stdout

    def student(archive: str, n: int) -> str:
        return _run(
            {
                **teacher,
                "COURSE_CACHE_DIR": str(tmp_path / f"student-cache-{n}"),
                weights.VARIABLE: f"{url}/{archive}",
                "COURSE_WEIGHTS_CACHE": str(tmp_path / f"dl-{n}"),
            }
        )

    out = student("w.tar", 1)
    assert out.count("from the weights archive") == 2 and out.count("Loaded the trained") == 2, out
    assert "Training" not in out and "done" in out

    raw = bytearray((www / "w.tar").read_bytes())
    raw[-20_000] ^= 0xFF  # a byte inside the last checkpoint's file
    (www / "tampered.tar").write_bytes(bytes(raw))
    out = student("tampered.tar", 2)
    assert out.count("does not match the SHA-256") == 1 and out.count("from the weights archive") == 1, out
    assert "done" in out
