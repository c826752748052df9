"""The dashboard served by ``influence-sim dashboard``, in a real headless browser.

The server is started as a subprocess on a free loopback port. The browser is the system's
Chromium (``/usr/bin/chromium``), driven by Playwright, with every host but loopback made
unreachable: the page must load from the installed package alone (solara-assets), as on a
machine without internet. The test changes a parameter, steps, checks that the plot changed,
and writes a screenshot to ``test-artifacts/dashboard.png``.

Without Chromium the browser test is skipped, except on CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("solara")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # no name resolves but loopback: the page gets nothing from the internet
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
START_TIMEOUT = 120.0  # seconds for the server to serve its page (imports on a busy machine)
STOP_TIMEOUT = 30.0  # seconds for the server to stop after a signal
PAGE_TIMEOUT = 120_000  # milliseconds for the browser to show the page or a new step
ON_CI = bool(os.environ.get("CI"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def _dashboard() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``influence-sim dashboard`` on a free loopback port, serving; stopped afterwards."""
    port = _free_port()
    log = ARTIFACTS / f"dashboard-server-{port}.log"
    ARTIFACTS.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "influence_sim", "dashboard", "--no-open"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        # its own session: whatever the test does, the group can be cleaned up afterwards
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard exited with {proc.returncode}: {log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not serve in {START_TIMEOUT:.0f} s: {log}")
            time.sleep(0.5)
        yield proc, port
    finally:
        # the whole group, even when its leader is gone (a child left serving)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_signal_stops_the_server_and_every_child(sig: signal.Signals) -> None:
    with _dashboard() as (proc, port):
        family = {proc.pid, *_descendants(proc.pid)}
        assert _port_open(port)
        proc.send_signal(sig)
        proc.wait(timeout=STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while (_port_open(port) or any(map(_alive, family))) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _port_open(port), "the port is still served"
        assert not [pid for pid in family if _alive(pid)], "a child process survived"


def _browser_or_skip() -> None:
    if not CHROMIUM.exists():
        if ON_CI:
            pytest.fail(f"{CHROMIUM} is missing on CI (.ci/run installs the chromium package)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if ON_CI:
            pytest.fail("playwright is missing on CI (the test extra installs it)")
        pytest.skip("playwright is missing (pip install -e '.[test]')")


def test_page_works_offline_in_a_real_browser() -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
    started = time.monotonic()
    with _dashboard() as (_proc, port), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            page.set_default_timeout(PAGE_TIMEOUT)
            page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
            page.goto(f"http://127.0.0.1:{port}/", timeout=PAGE_TIMEOUT)
            summary = page.locator(".influence-summary")
            summary.wait_for()
            plot = page.locator("img").first
            plot.wait_for()
            assert summary.inner_text().startswith("Step 0 of 40 (2021-01-01)")
            assert page.get_by_role("slider", name="Replicates", exact=True).count() == 1

            def step_to(expected: str) -> tuple[str, bytes]:
                page.get_by_role("button", name="Step", exact=True).click()
                page.wait_for_function(
                    "t => document.querySelector('.influence-summary').innerText.startsWith(t)",
                    arg=expected,
                    timeout=PAGE_TIMEOUT,
                )
                page.wait_for_timeout(500)  # the plots follow the line
                return summary.inner_text(), plot.screenshot()

            start_image = plot.screenshot()
            default_text, default_image = step_to("Step 1 of 40")
            assert default_image != start_image
            assert "parameters changed: none" in default_text

            # move the coordination slider to its end, reset (the new value takes effect on
            # Reset, as in every SolaraViz page), then step again
            slider = page.get_by_role("slider", name="Coordination (0-1)", exact=True)
            slider.focus()
            slider.press("End")
            page.wait_for_function(
                "() => document.querySelector('[aria-label=\"Coordination (0-1)\"]')"
                ".getAttribute('aria-valuenow') === '1'"
            )
            page.get_by_role("button", name="Reset", exact=True).click()
            page.wait_for_function(
                "() => document.querySelector('.influence-summary').innerText"
                ".includes('parameters changed: coordination=1')"
            )
            changed_text, changed_image = step_to("Step 1 of 40")
            assert "parameters changed: coordination=1" in changed_text
            assert changed_image != default_image, "the plot did not change"
            trade = default_text.split("regional trade: ")[1].split(",")[0]
            assert f"regional trade: {trade}," not in changed_text, "the run did not change"

            # the picker starts another scenario's run; a few steps fill the screenshot
            page.get_by_role("button", name="Scenario file").click()
            page.get_by_role("option", name="afghan_takeover", exact=True).click()
            page.wait_for_function(
                "() => document.querySelector('.influence-summary')?.innerText"
                ".startsWith('Step 0 of 40') && document.querySelector("
                "'.influence-scenario-path').innerText.endsWith('afghan_takeover.yaml')"
            )
            for n in range(1, 9):
                step_to(f"Step {n} of 40")
            assert "parameters changed: none" in summary.inner_text()
            # the fans as shown, to date
            with page.expect_download(timeout=PAGE_TIMEOUT) as download:
                page.get_by_role("button", name="Download the fans (CSV)").click()
            assert download.value.suggested_filename == "afghan_takeover_seed1_regional_step8.csv"
            rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
            assert rows[0].startswith("date,domain,partner,p05,p25,p50,p75,p95,median_trust")
            assert rows[-1].startswith("2023-01-01,security,united_states,")

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot} ({time.monotonic() - started:.1f} s)")
        finally:
            browser.close()
    assert outside == [], f"the page asked for addresses off this machine: {outside}"
