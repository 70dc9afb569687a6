"""The live app in a browser while a slider is dragged: how many chart updates a 3-second
drag shows, and when the last one arrives after the handle is let go.

Starts ``simfunnel app configs/baseline.yaml --present`` on a free port and drives it in
headless Chromium (Playwright, the system ``/usr/bin/chromium`` as in
tests/test_app_browser.py); each update is a new PNG in the page.

    .venv/bin/python benchmarks/app_drag.py
"""

import subprocess
import time
import urllib.request

from playwright.sync_api import sync_playwright

port = 5124
proc = subprocess.Popen(
    [".venv/bin/simfunnel", "app", "configs/baseline.yaml", "--port", str(port), "--present"],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
try:
    for _ in range(180):
        try:
            urllib.request.urlopen(f"http://localhost:{port}/", timeout=2)
            break
        except Exception:
            time.sleep(1)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = b.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"http://localhost:{port}/")
        head = page.locator(".sf-finding")
        head.wait_for(timeout=90_000)
        time.sleep(2)
        status = page.locator(".sf-chart img")
        handle = page.locator(".sf-slider .noUi-handle").nth(1)
        track = page.locator(".sf-slider .noUi-base").nth(1).bounding_box()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        seen = [(status.get_attribute("src") or "")[-200:]]
        page.mouse.move(x, y)
        page.mouse.down()
        t0 = time.perf_counter()
        for i in range(1, 31):  # a 3-second drag
            page.mouse.move(x + track["width"] * 0.4 * i / 30, y)
            time.sleep(0.1)
            s = (status.get_attribute("src") or "")[-200:]
            if s != seen[-1]:
                seen.append(s)
        during = len(seen) - 1
        box_value = page.locator(".sf-box input").nth(1).input_value()
        released = time.perf_counter()
        page.mouse.up()
        last = seen[-1]
        final = None
        while time.perf_counter() - released < 10:
            s = (status.get_attribute("src") or "")[-200:]
            if s != last:
                final = time.perf_counter() - released
                last = s
            time.sleep(0.02)
            if final is not None and time.perf_counter() - released > final + 1.5:
                break
        print(
            f"updates shown during a 3 s drag: {during}; box at release {box_value}; "
            f"last update after release: {final if final is None else round(final, 2)} s"
        )
        b.close()
finally:
    proc.terminate()
    proc.wait(10)
