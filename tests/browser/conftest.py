"""One headless Chromium and one JupyterLab server for all the browser tests of a run (session scope).

The server serves a temporary copy of notebooks/ (a test module adds its own small notebook with
:func:`browser_support.write_notebook`), so a run's outputs never reach the repository. Every page
gets a fresh browser context that may reach only the loopback server; a last screenshot of each test
goes to test-artifacts/.
Skips (with the reason) only where Chromium or the playwright package is not installed.
"""

from __future__ import annotations

import shutil

import pytest
from browser_support import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    LOOPBACK,
    REPO_ROOT,
    JupyterLabServer,
    find_chromium,
)


@pytest.fixture(scope="session")
def chromium():
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium is not installed (/usr/bin/chromium or `chromium` on PATH; Debian package "
            "'chromium', which .ci/run apt-installs): cannot run the browser tests"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (python -m pip install -r requirements.txt)",
    )
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab (fast mode, loopback, random port and token) serving a temporary copy of notebooks/."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(
        REPO_ROOT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "ko"),
    )
    server = JupyterLabServer(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser, lab, request):
    """A fresh browser context per test; loopback only; a last screenshot is kept whatever happens."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked = []

    def loopback_only(route):
        url = route.request.url
        if LOOPBACK.match(url) or not url.startswith(("http", "ws")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", loopback_only)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        try:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"))
        except Exception:
            pass
        context.close()
        try:
            lab.shutdown_kernels()  # free the CPU for the next notebook
        except Exception:
            pass
    assert not blocked, f"the page tried to reach the network: {blocked[:5]}"
