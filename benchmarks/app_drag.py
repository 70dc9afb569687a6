"""The live app in a browser while a slider is dragged: how many chart updates a 3-second
drag shows, and when the last one arrives after the handle is let go.

Starts ``simfunnel app configs/baseline.yaml --present`` on a free port and drives it in
headless Chromium (Playwright, the system ``/usr/bin/chromium`` as in
tests/test_app_browser.py); each update is a new PNG in the page.

    .venv/bin/python benchmarks/app_drag.py
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer in {seconds:.0f} s")


def main() -> None:
    port = _free_port()
    command = [".venv/bin/simfunnel", "app", "configs/baseline.yaml", "--port", str(port)]
    app = subprocess.Popen(
        [*command, "--present"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(f"http://localhost:{port}/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"http://localhost:{port}/")
            page.locator(".sf-finding").wait_for(timeout=90_000)
            time.sleep(2)
            image = page.locator(".sf-chart img")

            def shown() -> str:
                return (image.get_attribute("src") or "")[-200:]

            handle = page.locator(".sf-slider .noUi-handle").nth(1)
            track = page.locator(".sf-slider .noUi-base").nth(1).bounding_box()
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            seen = [shown()]
            page.mouse.move(x, y)
            page.mouse.down()
            for i in range(1, 31):  # a 3-second drag over 40% of the track
                page.mouse.move(x + track["width"] * 0.4 * i / 30, y)
                time.sleep(0.1)
                if shown() != seen[-1]:
                    seen.append(shown())
            released = time.perf_counter()
            page.mouse.up()
            last, final = seen[-1], None
            while time.perf_counter() - released < 10:
                if shown() != last:
                    final, last = time.perf_counter() - released, shown()
                if final is not None and time.perf_counter() - released > final + 1.5:
                    break
                time.sleep(0.02)
            after = "none" if final is None else f"{final:.2f} s"
            print(f"updates shown during a 3 s drag: {len(seen) - 1}; last update after release: "
                  f"{after}")  # fmt: skip
            browser.close()
    finally:
        app.terminate()
        app.wait(10)


if __name__ == "__main__":
    main()
