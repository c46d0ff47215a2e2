"""The quickstart notebook in JupyterLab, driven by Playwright in Debian's Chromium: run it, change a
dropdown in the mapper, press Push, and see the result summary. Skipped when Chromium is absent."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    pytest.importorskip("jupyterlab")
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", tmp_path / "quickstart.ipynb")
    port, token = _free_port(), "inwise-browser-test"
    # Render every cell (no virtual scrolling), and no news pop-up over the page.
    settings = tmp_path / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}')
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    env = {k: v for k, v in os.environ.items() if k != "INWISE_API_KEY"}
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--ServerApp.open_browser=False", "--allow-root",
         "--LabApp.extension_manager=readonly",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "jupyterlab.log", "w"), env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start: " + (tmp_path / "jupyterlab.log").read_text()[-2000:])
    yield base, token
    server.terminate()
    server.wait(timeout=20)


def test_mapper_in_jupyterlab(jupyterlab):
    sync_api = pytest.importorskip("playwright.sync_api")
    base, token = jupyterlab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            _drive(page, base, token)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            raise
        finally:
            browser.close()


def _drive(page, base, token):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if True:
        page.goto(f"{base}/lab/tree/quickstart.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                               ".jp-Toolbar-kernelStatus, .jp-KernelStatus", timeout=90_000)
        # With several Python kernels installed, JupyterLab asks which one; take the preselected one.
        try:
            page.locator(".jp-Dialog .jp-mod-accept").click(timeout=8_000)
        except PlaywrightTimeout:
            pass
        page.click("text=Run", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
        mapper = page.locator(".inwise-mapper")
        mapper.wait_for(state="attached", timeout=120_000)
        mapper.scroll_into_view_if_needed()
        selects = mapper.locator("select")
        assert selects.count() >= 5
        # "Last Name" is the fourth column; send it to personal field 6 instead of last name.
        selects.nth(3).select_option(label="6 · company")
        page.wait_for_function("document.querySelector('.inwise-mapper').innerText.includes('6 · company') "
                               "|| document.querySelector('.inwise-preview').innerText.includes('field6')",
                               timeout=30_000)
        mapper.locator("button", has_text="Push").first.click()
        mapper.locator(".inwise-push-result").wait_for(timeout=120_000)
        text = mapper.inner_text()
        tail = text[text.find("Show code"):]
        # The notebook pushed the same list in a later cell, so the widget's push updates those contacts.
        assert "inwise push" in tail and "updated" in tail and "Not delivered" in tail, tail[:600]
        page.set_viewport_size({"width": 1400, "height": 2800})  # the whole widget in one picture
        mapper.scroll_into_view_if_needed()
        mapper.screenshot(path=str(ARTIFACTS / "mapper.png"))
        page.screenshot(path=str(ARTIFACTS / "jupyterlab.png"), full_page=False)
