"""Machinery for the browser test (tests/test_browser.py): a throw-away JupyterLab server on loopback,
headless Debian Chromium driven by Playwright, and the few page actions a student performs
(open a notebook, run all cells, move a slider, look at the picture).

Nothing here touches the user's Jupyter settings, the notebooks on disk or the network: the server gets
temporary config/data/runtime/settings/workspace dirs, serves a temporary copy of the notebooks, has news,
update checks and the PyPI extension manager switched off, and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image as PILImage

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
#: What a page may reach: the JupyterLab server on the loopback interface (and data:, blob: URLs).
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")
#: A cold fast-mode notebook 5 trains ~10 small models: minutes on a busy 2-core machine.
RUN_ALL_TIMEOUT_MS = 900_000
REDRAW_TIMEOUT_S = 60

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-proxy-server",
    "--disable-dev-shm-usage",
]

# What a widget that cannot render looks like in JupyterLab (missing or mismatched front-end extension).
WIDGET_ERROR_TEXTS = (
    "Error displaying widget",
    "Failed to load model class",
    "Error rendering widget",
    "Error creating widget",
    "Could not create a view",
)

# JupyterLab plugins that would reach the network or pop up over the notebook.
DISABLED_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
}


def find_chromium() -> str | None:
    """Debian's Chromium (never a downloaded one), or None when it is not installed."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class JupyterLabServer:
    """``jupyter lab`` serving ``root_dir`` on 127.0.0.1 with a random token, in its own process group.

    Use as a context manager; ``stop()`` shuts kernels down, then the server, whatever state it is in.
    """

    def __init__(self, root_dir: Path, startup_timeout: float = 120.0):
        self.root_dir = Path(root_dir)
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.home = Path(tempfile.mkdtemp(prefix="lab-home-"))
        self.log_path = self.home / "jupyter-lab.log"
        self.proc: subprocess.Popen | None = None

    # -- environment -------------------------------------------------------------------------------
    def _env(self) -> dict:
        env = dict(os.environ)
        dirs = {
            name: self.home / name
            for name in ("config", "data", "runtime", "ipython", "settings", "workspaces", "cache")
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        (dirs["config"] / "labconfig").mkdir(exist_ok=True)
        (dirs["config"] / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": DISABLED_PLUGINS})
        )
        # No autosave: the run's outputs must never be written back (we serve a copy anyway).
        docmanager = dirs["settings"] / "@jupyterlab" / "docmanager-extension"
        docmanager.mkdir(parents=True, exist_ok=True)
        (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            PYTHONUNBUFFERED="1",
            COURSE_FAST="1",
            COURSE_OFFLINE="1",
            COURSE_CACHE_DIR=os.environ.get("COURSE_CACHE_DIR") or str(dirs["cache"]),
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        # pytest's conftest sets MPLBACKEND=Agg; a student's kernel uses the inline backend.
        env.pop("MPLBACKEND", None)
        self._settings_dir, self._workspaces_dir = dirs["settings"], dirs["workspaces"]
        self._runtime_dir = dirs["runtime"]
        return env

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> JupyterLabServer:
        env = self._env()
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--LabApp.news_url=None",
            "--ServerApp.allow_root=True",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={self._settings_dir}",
            f"--LabApp.workspaces_dir={self._workspaces_dir}",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (open for the server's life; stop() closes it)
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root_dir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def api(self, path: str, method: str = "GET", timeout: float = 10.0):
        request = urllib.request.Request(
            self.base_url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with _NO_PROXY.open(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status", timeout=5)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"jupyter lab did not answer /api/status within "
                    f"{self.startup_timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def _kernel_pids(self) -> list[int]:
        """Kernels this server started (their command line names a connection file in our runtime dir;
        jupyter_client puts each kernel in a session of its own: killing the server's group misses them)."""
        pids, marker = [], str(self._runtime_dir)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "kernel" in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self):
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                try:  # polite first: the server shuts its kernels down
                    self.shutdown_kernels()
                except Exception:
                    pass
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    self.proc.wait(timeout=10)
        finally:
            for pid in self._kernel_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._log.close()
            shutil.rmtree(self.home, ignore_errors=True)
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, notebook_path: str) -> str:
        """The notebook in a workspace of its own, so no tab of an earlier test is restored."""
        workspace = secrets.token_hex(6)
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook_path}?token={self.token}"

    def shutdown_kernels(self):
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=30)


# ---------------------------------------------------------------------------------------------------
# Page actions. ``window.jupyterapp`` is exposed by --LabApp.expose_app_in_browser=True.

_PANEL_JS = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
  }
  return null;
}"""


def open_notebook(page, server: JupyterLabServer, path: str, timeout_ms: int = 180_000):
    """Open ``path`` (relative to the server root) and wait until its kernel is idle."""
    page.goto(server.url(path), wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout_ms)
    page.wait_for_function(
        f"""(path) => {{
          const panel = ({_PANEL_JS})(path);
          if (!panel || !panel.context.isReady) return false;
          const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
          return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
        }}""",
        arg=path,
        timeout=timeout_ms,
        polling=250,
    )


def run_all_cells(page, path: str, timeout_ms: int = 240_000) -> dict:
    """Run > Run All Cells (the same command as the menu item); wait until every cell has run.

    Returns ``{"ok": bool, "errors": [...], "unrun": n}``: errors are "Name: message" of error outputs.
    """
    page.evaluate(
        f"""(path) => {{
          const panel = ({_PANEL_JS})(path);
          window.jupyterapp.shell.activateById(panel.id);
          window.__runAll = null;
          window.jupyterapp.commands.execute('notebook:run-all-cells')
            .then(ok => {{ window.__runAll = {{ok: ok === true}}; }},
                  err => {{ window.__runAll = {{ok: false, failure: String(err)}}; }});
        }}""",
        path,
    )
    page.wait_for_function("() => window.__runAll !== null", timeout=timeout_ms, polling=500)
    # The run-all promise settles with the execute replies; let the kernel finish its last messages.
    page.wait_for_function(
        f"""(path) => {{
          const k = ({_PANEL_JS})(path).sessionContext.session.kernel;
          return k.status === 'idle';
        }}""",
        arg=path,
        timeout=timeout_ms,
        polling=250,
    )
    return page.evaluate(
        f"""(path) => {{
          const panel = ({_PANEL_JS})(path);
          const errors = []; let unrun = 0;
          for (const cell of panel.content.widgets) {{
            const model = cell.model;
            if (model.type !== 'code' || model.sharedModel.getSource().trim() === '') continue;
            if (model.executionCount === null) unrun += 1;
            for (const out of model.outputs.toJSON())
              if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
          }}
          return {{...window.__runAll, errors, unrun}};
        }}""",
        path,
    )


def widget_problems(page) -> list[str]:
    """Signs of widgets that did not render: error texts, or a widget's plain-text fallback
    (``VBox(children=...``) shown where the view should be (the front-end extension is missing)."""
    text = page.locator(".jp-Notebook").first.evaluate("e => e.textContent")
    problems = [t for t in WIDGET_ERROR_TEXTS if t in text]
    fallbacks = page.locator(".jp-OutputArea-output[data-mime-type='text/plain']").evaluate_all(
        "els => els.map(e => e.textContent.trim())"
    )
    problems += [
        f"unrendered widget: {t[:80]}"
        for t in fallbacks
        if re.match(r"^(VBox|HBox|Box|FloatSlider|IntSlider|Image|interactive|Output)\(", t)
    ]
    return problems


def slider(page, description: str):
    """The ipywidgets slider whose description label reads exactly ``description``."""
    label = page.locator("label.widget-label").filter(
        has_text=re.compile(rf"^\s*{re.escape(description)}\s*$")
    )
    return page.locator(".widget-slider").filter(has=label)


def dropdown(page, description: str):
    """The ipywidgets dropdown whose description label reads exactly ``description`` (its <select> inside)."""
    label = page.locator("label.widget-label").filter(
        has_text=re.compile(rf"^\s*{re.escape(description)}\s*$")
    )
    return page.locator(".widget-dropdown").filter(has=label)


def widget_with_images(slider_locator):
    """The nearest enclosing element of a control (a slider, a dropdown) that holds a picture (the widget's
    drawing)."""
    return slider_locator.locator(
        "xpath=ancestor::div[.//img[contains(@class,'widget-image') or "
        "ancestor::div[contains(@class,'jp-RenderedImage')]]][1]"
    )


_IMAGE_BYTES_JS = """async (root) => {
  const out = [];
  for (const img of Array.from(root.querySelectorAll('img'))) {
    // A redraw revokes the old blob: URL; a fetch that loses that race reads as "not ready yet".
    let bytes;
    try { bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer()); }
    catch (e) { out.push(null); continue; }
    if (!img.src || bytes.length === 0) { out.push(null); continue; }
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    out.push(btoa(text));
  }
  return out;
}"""


def image_bytes(container) -> list[bytes | None]:
    """The bytes every <img> inside ``container`` shows (blob: and data: sources alike), in page order;
    None for a picture caught in the middle of a redraw."""
    return [None if b64 is None else base64.b64decode(b64) for b64 in container.evaluate(_IMAGE_BYTES_JS)]


def image_pixels(data: bytes) -> np.ndarray:
    """PNG bytes -> grey pixels as int16 (so differences do not wrap)."""
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


def wait_for_images(container, predicate, timeout_s: float, what: str) -> list[bytes]:
    """Poll the pictures in ``container`` until ``predicate(list_of_bytes)`` holds (the kernel redraws
    asynchronously, continuous sliders pass through intermediate values); AssertionError otherwise."""
    deadline = time.monotonic() + timeout_s
    images = image_bytes(container)
    while not (images and all(b is not None for b in images) and predicate(images)):
        if time.monotonic() > deadline:
            sizes = [None if b is None else len(b) for b in images]
            raise AssertionError(
                f"after {timeout_s:.0f} s: {what} (now {len(images)} pictures, {sizes} bytes)"
            )
        container.page.wait_for_timeout(200)
        images = image_bytes(container)
    return images


def readout(slider_locator) -> str:
    """The slider's value as its readout shows it (e.g. ``"0.40"``), once the readout has drawn one:
    a freshly rendered slider can show an empty readout for a moment."""
    import re

    from playwright import sync_api

    shown = slider_locator.locator(".widget-readout")
    sync_api.expect(shown).to_have_text(re.compile(r"\S"), timeout=15_000)
    # textContent, what expect(...).to_have_text compares: innerText can read "" while the page lays out
    return (shown.text_content() or "").strip()


def slider_range(slider_locator) -> tuple[float, float, float]:
    """``(min, value, max)`` from the handle's ARIA attributes."""
    handle = slider_locator.locator(".noUi-handle")
    return tuple(float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuenow", "aria-valuemax"))


def press_on_handle(slider_locator, keys: list[str]):
    """Focus the slider's handle as a user clicking it would, then press ``keys`` one by one."""
    handle = slider_locator.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    for key in keys:
        handle.press(key)


# -- what the browser tests check on a notebook -------------------------------------------------------
def open_and_run(page, lab, path: str):
    """Open ``path``, Run All Cells, and check that every cell ran without error and every widget rendered."""
    started = time.monotonic()
    open_notebook(page, lab, path)
    result = run_all_cells(page, path, timeout_ms=RUN_ALL_TIMEOUT_MS)
    assert not result["errors"], f"{path}: cells raised {result['errors']}"
    assert result["ok"] and result["unrun"] == 0, f"{path}: Run All did not finish: {result}"
    print(f"{path}: opened and ran in {time.monotonic() - started:.0f} s")


def check_named_slider(page, description: str, screenshot: str, all_change: bool = True):
    """:func:`check_slider_redraws` on the first slider labelled ``description``; screenshot of its widget
    to test-artifacts/``screenshot``. Returns the widget's locator."""
    handle = slider(page, description).first
    box = widget_with_images(handle)
    check_slider_redraws(handle, box, description, all_change=all_change)
    ARTIFACTS.mkdir(exist_ok=True)
    box.screenshot(path=str(ARTIFACTS / screenshot))
    return box


def run_course_notebook(page, lab, path: str):
    """Open a course notebook (in the served copy), Run All Cells, check that every widget rendered."""
    if not (lab.root_dir / path).exists():
        raise AssertionError(f"{path} is missing: the browser test needs the course notebook")
    open_and_run(page, lab, path)
    check_widgets_rendered(page)
    ARTIFACTS.mkdir(exist_ok=True)


def check_widgets_rendered(page):
    problems = widget_problems(page)
    assert not problems, f"widgets did not render: {problems}"


def shown_value(slider_locator) -> float:
    return float(readout(slider_locator).replace("\u2212", "-"))  # the readout writes a real minus sign


def nudge_keys(slider_locator) -> tuple[list[str], list[str]]:
    """One key press that moves the slider a page (five steps, towards the side with room) and the one
    that moves it back. One press is one new value, so the first redraw seen is the final one."""
    low, value, high = slider_range(slider_locator)
    up, down = ["PageUp"], ["PageDown"]
    return (up, down) if high - value >= value - low else (down, up)


def check_slider_redraws(slider_locator, container, name: str, all_change: bool = True):
    """Move the slider with the keyboard; the pictures must change; moving back must restore them."""
    container.scroll_into_view_if_needed()
    before = wait_for_images(container, lambda imgs: all(imgs), REDRAW_TIMEOUT_S, f"{name}: pictures shown")
    value_before = readout(slider_locator)
    forward, back = nudge_keys(slider_locator)
    from playwright.sync_api import expect

    shown = expect(slider_locator.locator(".widget-readout"))
    press_on_handle(slider_locator, forward)
    shown.not_to_have_text(value_before)  # (waits) the keyboard moved the slider
    changed = (
        (lambda imgs: len(imgs) == len(before) and all(a != b for a, b in zip(imgs, before)))
        if all_change
        else (lambda imgs: len(imgs) == len(before) and imgs != before)
    )
    after = wait_for_images(
        container,
        changed,
        REDRAW_TIMEOUT_S,
        f"{name}: the picture did not change when the slider moved "
        f"{value_before} -> {readout(slider_locator)}",
    )
    moved_to = readout(slider_locator)
    press_on_handle(slider_locator, back)
    shown.to_have_text(value_before)
    wait_for_images(
        container,
        lambda imgs: imgs == before,
        REDRAW_TIMEOUT_S,
        f"{name}: moving back to {value_before} did not restore the first picture",
    )
    press_on_handle(slider_locator, forward)  # leave it moved, for the screenshot
    shown.to_have_text(moved_to)
    wait_for_images(
        container,
        lambda imgs: imgs == after,
        REDRAW_TIMEOUT_S,
        f"{name}: moving forward again did not redraw the same picture",
    )
    return before, after


def write_notebook(folder: Path, name: str, cells: list[str]) -> str:
    """Write a notebook of code ``cells`` (Python 3 kernel) as ``folder/name``; returns ``name``."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / name)
    return name
