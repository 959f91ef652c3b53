"""A real browser: JupyterLab in Debian's headless Chromium, driven by playwright.

Runs exercise 01 (all cells), types one right and one wrong number into the
fillable sheet and sees green and red; moves the temperature slider in lesson 03
and sees the bars change. Screenshots go to test-artifacts/browser/.

JupyterLab serves a temporary copy of the notebooks, so autosave never touches
the repository. The server and its kernels are shut down by process group id.
Needs Chromium (Debian's `chromium` package at /usr/bin/chromium, which `make test`
installs; another path in BYHAND_CHROMIUM) and the playwright Python package (never
`playwright install`).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BYHAND_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
EXERCISE = "exercises/01-transformer-by-hand.ipynb"
LESSON = "notebooks/03-self-attention.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (make test does, as root)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

RIGHT = "rgb(187, 247, 208)"  # widgets.RIGHT_FILL #bbf7d0
WRONG = "rgb(254, 202, 202)"  # widgets.WRONG_FILL #fecaca


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port over a copy of the notebooks."""
    root = tmp_path_factory.mktemp("lab")
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, root / folder)
    port, token = _free_port(), "byhand-browser-test"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open and run by command, not by menu
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    # Render every cell (no lazy "windowing"), so the widgets stay in the page wherever we scroll.
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / ".settings"), JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws"))
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"JupyterLab exited:\n{(root / 'lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=3):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start within 90 s")
                time.sleep(0.5)
        yield base, token
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One JupyterLab page for the module's tests (loading JupyterLab is the costly part),
    in a workspace of its own, so no earlier layout or kernel choice carries over."""
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/workspaces/browser-test?token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
    page.evaluate("() => window.jupyterapp.started")
    yield page
    page.close()


def _open_and_run_all(page, lab, path, ready_selector):
    """Open `path` alone in the page, wait for its kernel to be idle, clear the committed
    outputs, Run All, and wait until `ready_selector` (a widget) appears.

    A Run All sent while the kernel still connects can be dropped, so nothing is sent before
    the server reports this notebook's kernel idle and the page shows it idle too.
    """
    with screenshot_on_failure(page, "run-all-" + Path(path).stem):
        page.evaluate("""async (path) => {
            const app = window.jupyterapp;
            for (const w of [...app.shell.widgets('main')]) {  // the previous test's notebook
                if (w.context) w.context.model.dirty = false;   // closes without a "save?" dialog
                w.dispose();
            }
            const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
            await panel.context.ready;
            await panel.sessionContext.ready;
        }""", path)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="attached")
        _wait_for_idle_kernel(lab, path)
        _accept_kernel_dialog(page)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                               state="attached", timeout=90_000)
        _accept_kernel_dialog(page)
        # The committed notebook already shows outputs: clear them, so every prompt and
        # widget seen afterwards comes from this run.
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
            ".every(p => !/\\d/.test(p.textContent))", timeout=20_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # every code cell has run when each shows an execution count
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=90_000)
        page.locator(ready_selector).first.wait_for(state="attached", timeout=20_000)
    return page


def _wait_for_idle_kernel(lab, path, seconds=90):
    """Poll the server's sessions API until the notebook at `path` has a kernel that is idle."""
    base, token = lab
    deadline = time.monotonic() + seconds
    state = "no session yet"
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as resp:
            sessions = json.load(resp)
        mine = [s for s in sessions if s.get("path") == path and s.get("kernel")]
        if mine:
            state = mine[0]["kernel"].get("execution_state")
            if state == "idle":
                return
        time.sleep(0.2)
    raise AssertionError(f"the kernel of {path} was not idle within {seconds} s (last state: {state})")


def _accept_kernel_dialog(page):
    """JupyterLab sometimes asks which kernel to start: take the notebook's own (Python 3)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        dialog.get_by_role("button", name="Select").click()


@contextlib.contextmanager
def screenshot_on_failure(page, name):
    """Keep a full-page screenshot of whatever the browser showed when an assertion failed."""
    try:
        yield
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failure-{name}.png"), full_page=True)
        raise


def _input(page, cls):
    return page.locator(f".{cls} input").first


def test_fillable_sheet_turns_green_and_red(lab_page, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(lab_page, lab, EXERCISE, ".byhand-cell-0-0")
    with screenshot_on_failure(page, "fillable-sheet"):
        _type_into_the_sheet(page)


def _type_into_the_sheet(page):
    page.locator(".byhand-cell-0-0").first.scroll_into_view_if_needed()
    right, wrong = _input(page, "byhand-cell-0-0"), _input(page, "byhand-cell-0-1")
    right.wait_for(state="visible", timeout=30_000)
    # Z[1,1] = 5·1 + 6·1 = 11 (right); Z[1,2] = 6 + 0 = 6, so 5 is wrong
    right.fill("11")
    wrong.fill("5")
    bg = "el => getComputedStyle(el).backgroundColor"
    page.wait_for_function(
        f"([a, b]) => getComputedStyle(a).backgroundColor === '{RIGHT}'"
        f" && getComputedStyle(b).backgroundColor === '{WRONG}'",
        arg=[right.element_handle(), wrong.element_handle()], timeout=30_000,
    )
    assert right.evaluate(bg) == RIGHT
    assert wrong.evaluate(bg) == WRONG
    status = page.locator(".byhand-status").first
    status.wait_for(state="visible")
    assert "1 of 15 right, 1 wrong" in status.inner_text()
    sheet = page.locator(".byhand-widget").filter(has=page.locator(".byhand-cell-0-0")).first
    sheet.screenshot(path=str(ARTIFACTS / "fillable-sheet.png"))
    page.screenshot(path=str(ARTIFACTS / "exercise-01.png"))


def test_slider_changes_the_figure(lab_page, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _open_and_run_all(lab_page, lab, LESSON, ".byhand-slider")
    with screenshot_on_failure(page, "slider"):
        _move_the_slider(page)


def _move_the_slider(page):
    explorer = page.locator(".byhand-widget").filter(has=page.locator(".byhand-slider")).first
    explorer.wait_for(state="attached", timeout=90_000)
    explorer.scroll_into_view_if_needed()
    explorer.wait_for(state="visible", timeout=30_000)
    output = explorer.locator(".byhand-output").first
    output.wait_for(state="visible")
    before = output.inner_text()
    explorer.screenshot(path=str(ARTIFACTS / "slider-before.png"))
    handle = explorer.locator(".noUi-handle").first
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[output.element_handle(), before],
                           timeout=30_000)
    after = output.inner_text()
    explorer.screenshot(path=str(ARTIFACTS / "slider-after.png"))
    assert after != before
    # the figure reports the new temperature and a different largest weight
    assert "largest weight" in after
