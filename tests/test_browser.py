"""The learner's path in a real browser: JupyterLab on 127.0.0.1, driven by Playwright with Debian's Chromium.

It opens lesson 01's learner notebook, runs every cell (no error, every exercise says "Not attempted"), pastes the
printed solution into one stub (✅) and the classic bug into another (❌, with the failing input shown), then opens
the course website and follows every lesson link. Screenshots go to build/screenshots/.
Locally the test skips when Chromium is missing (`apt-get install chromium`); CI installs it and requires it.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pharma_kit.course.learner import lesson_notebooks as _lessons  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
LESSON = "01_data_quality.ipynb"

if not CHROMIUM:
    if os.environ.get("PHARMA_KIT_REQUIRE_BROWSER") == "1":
        raise RuntimeError("PHARMA_KIT_REQUIRE_BROWSER=1 but no chromium binary: apt-get install chromium")
    pytest.skip("browser test skipped: Chromium not found (apt-get install chromium to run it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving a copy of the learner notebooks; yields (base url, token, folder)."""
    work = tmp_path_factory.mktemp("lab")
    (work / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / LESSON, work / "notebooks" / LESSON)   # a copy: the repo's file is never saved
    (work / "datasets").symlink_to(ROOT / "datasets")                      # the notebook reads ../datasets
    settings = work / "settings" / "@jupyterlab"
    for plugin, values in {"notebook-extension/tracker": {"windowingMode": "none"},
                           "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, PHARMA_KIT_HOME=str(work / "home"), PHARMA_KIT_RECORD="1",
               JUPYTER_RUNTIME_DIR=str(work / "runtime"), JUPYTER_CONFIG_DIR=str(work / "config"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
           f"--LabApp.user_settings_dir={work / 'settings'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"JupyterLab did not start: {(work / 'lab.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield base, token, work
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _cells(page):
    return page.locator(".jp-Notebook .jp-Cell")


def _wait_idle(page, timeout_s: float = 180) -> None:
    """Until no code cell is queued or running ([*]) and the kernel is idle."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = page.evaluate("""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                                  .some(p => p.textContent.includes('*'))""")
        idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').count() > 0
        if not busy and idle:
            return
        page.wait_for_timeout(500)
    raise AssertionError("the notebook was still running after %.0f s" % timeout_s)


def _cell_with(page, text: str):
    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=text)
    assert cell.count() >= 1, f"no code cell contains {text!r}"
    return cell.first


def _replace_and_run(page, cell, code: str) -> str:
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)                       # no auto-indent or bracket closing: pasted as is
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(300)
    _wait_idle(page, 120)
    return cell.locator(".jp-OutputArea").inner_text()


def test_learner_path_in_jupyterlab(lab, browser):
    from pharma_kit.exercises import lesson01 as ex

    base, token, work = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{base}/lab/tree/notebooks/{LESSON}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    select = page.get_by_role("button", name="Select", exact=True)      # "Select Kernel", as a learner would
    try:
        select.wait_for(timeout=10_000)
        select.click()
    except sync_api.TimeoutError:
        pass
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=120_000)

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_timeout(1000)
    _wait_idle(page)
    page.screenshot(path=str(SHOTS / "lesson01-run-all.png"))

    prompts = page.evaluate("""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                                     .map(p => p.textContent.trim())""")
    assert prompts and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts), f"unrun cells: {prompts}"
    errors = page.locator(".jp-OutputArea-output").filter(has_text="Traceback (most recent call last)")
    assert errors.count() == 0, errors.first.inner_text()[:2000]
    stubs = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="YOUR CODE HERE")
    n_stubs = stubs.count()
    assert n_stubs == len(ex.QUESTIONS)
    for i in range(n_stubs):
        out = stubs.nth(i).locator(".jp-OutputArea").inner_text()
        assert "Not attempted" in out, f"exercise {i + 1}: {out[:500]}"

    # a correct answer: what a learner pastes from ex.q2.solution()
    q2_cell = _cell_with(page, "ex.q2.check(")
    solved = ex.q2.solution_code() + "\n\nex.q2.check(" + _function_name(ex.q2) + ")\n"
    out = _replace_and_run(page, q2_cell, solved)
    assert "✅ Correct" in out, out[:1500]

    # the classic wrong answer of q1: a missing value is not flagged
    q1_cell = _cell_with(page, "ex.q1.check(")
    wrong = ("def out_of_range(values, lo, hi):\n"
             "    return (values < lo) | (values > hi)\n\n\nex.q1.check(out_of_range)\n")
    out = _replace_and_run(page, q1_cell, wrong)
    q1_cell.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "exercise-checked.png"))
    assert "❌ Incorrect" in out and "the input of that case" in out and "->" in out, out[:1500]

    record = (work / "home" / "checks.jsonl").read_text().splitlines()
    verdicts = [json.loads(line) for line in record]
    assert {"question": ex.q2.name, "status": "correct"} in verdicts
    assert {"question": ex.q1.name, "status": "incorrect"} in verdicts
    page.close()


def _function_name(q) -> str:
    import re

    return re.findall(r"^def (\w+)\(", q.solution_code(), re.M)[-1]


def test_course_website_offline_and_every_link_resolves(browser, tmp_path):
    from pharma_kit.course.site import build_site

    index = build_site(ROOT / "solutions", tmp_path / "html")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(index.as_uri())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
    links = page.eval_on_selector_all("a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
    lessons = sorted(p.stem for p in _lessons(ROOT / "solutions"))
    assert {f"{s}.html" for s in lessons} | {"glossary.html", "cheatsheet.html"} <= set(links)
    for href in links:
        target = index.parent / href
        assert target.exists(), f"home page links to a missing page: {href}"
        page.goto(target.as_uri())
        assert page.title() and page.title() != "Notebook", f"{href} has no real title"
        if href[:2].isdigit():
            nav = page.locator("#course-nav")
            assert nav.count() == 1 and "solved" in nav.inner_text()
            assert nav.get_by_text("Course home").count() == 1
    external = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not external, f"the website fetched from the network: {external[:5]}"
    page.close()
