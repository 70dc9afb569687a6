"""``simfunnel app`` in a real browser: headless Chromium driven by Playwright.

The app runs as the speaker starts it (``simfunnel app CONFIG --port N``, in a
subprocess); the test moves a slider with the mouse, checks that the headline
changes, types an out-of-range value and checks the CLI's one line, and saves a
screenshot. Playwright's own browser download is not used: the system Chromium
(Debian's ``chromium``; ``.ci/run`` installs it) is launched by its path. Without
one these tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from simfunnel.cli import main as cli_main
from simfunnel.present.explorer.defaults import EXPLORER_KEYS

from .conftest import CONFIGS, ROOT

pytestmark = pytest.mark.browser

# Debian's chromium, or another one named by SIMFUNNEL_CHROMIUM.
FOUND = (os.environ.get("SIMFUNNEL_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"))
CHROMIUM = next((path for path in FOUND if path and Path(path).exists()), None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 90  # importing Panel and the first simulation, on a busy 2-core machine


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's browser: the system Chromium, never a downloaded one."""
    if CHROMIUM is None:
        pytest.skip("no Chromium found: apt-get install chromium chromium-driver (see .ci/run)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _settled(locator, quiet: float = 3.0, timeout: float = 60.0) -> str:
    """The locator's text once it has not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    text, since = locator.inner_text(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = locator.inner_text()
        if now != text:
            text, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return text
    raise AssertionError(f"the text kept changing for {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app() -> Iterator[tuple[str, subprocess.Popen]]:
    """``simfunnel app baseline.yaml --port N`` (the shipped file) running; its URL and process."""
    port = _free_port()
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # this checkout's simfunnel
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simfunnel",
            "app",
            str(CONFIGS / "baseline.yaml"),
            "--port",
            str(port),
            "--openings",
            "2000",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"simfunnel app exited with {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"simfunnel app did not answer on {url} in {STARTUP_SECONDS} s")
        time.sleep(0.5)
    yield url, process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_app_in_a_browser_moves_with_a_slider_and_says_bad_input_in_one_line(
    app: tuple[str, subprocess.Popen], page: Page, tmp_path: Path, capsys
) -> None:
    url, process = app
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(url)
    headline = page.locator(".sf-finding")  # inside the Panel pane's shadow root
    expect(headline).to_contain_text("good interviews", timeout=30_000)
    first = headline.inner_text()
    slider = EXPLORER_KEYS.index("interview.validity")  # its place among the sliders
    box = page.locator(".sf-box input").nth(slider)
    expect(box).to_have_value("0.16")  # the baseline's one-round validity

    # Drag its slider's handle a third of the way along its track.
    handle = page.locator(".sf-slider .noUi-handle").nth(slider)
    track = page.locator(".sf-slider .noUi-base").nth(slider).bounding_box()
    start = handle.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + track["width"] / 3, y, steps=10)
    page.mouse.up()

    expect(headline).not_to_have_text(first, timeout=20_000)
    # The chart follows the handle while it is dragged: wait for the update of the
    # position it was let go at (the headline then stays as it is).
    moved = _settled(headline)
    kept = box.input_value()
    assert float(kept) > 0.3  # a third of the way from 0.16 along a 0.01-1 track

    # An out-of-range value typed into the box: the CLI's line, and nothing moves.
    box.fill("1.5")
    box.press("Enter")
    message = page.locator(".sf-error")
    expect(message).to_contain_text("must be in (0, 1]", timeout=20_000)
    config = str(CONFIGS / "baseline.yaml")
    code = cli_main(["run", config, "--openings", "10", "--set", "interview.validity=1.5"])
    cli_line = capsys.readouterr().err.strip()
    assert code == 2
    assert cli_line == f"simfunnel: error: {message.inner_text().strip()}"
    assert headline.inner_text() == moved
    expect(box).to_have_value(kept)  # the box shows the value in force again

    shot = tmp_path / "simfunnel_app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")

    # Ctrl-C stops the server cleanly.
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "simfunnel app: stopped" in out
