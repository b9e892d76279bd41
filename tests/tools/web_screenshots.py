"""The README's screenshots of the editors' page, made from the current code: a busy week (held X and
Telegram posts, a Persian one, Mastodon capped until tomorrow, an X post retrying after the network's answer,
every network's preview), served by the real app and photographed by headless Chromium at a phone's width
(390 px) and a desktop's (1280 px).

Run from the repo root: PYTHONPATH=. .venv/bin/python tests/tools/web_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from bot.store import open_store
from bot.web.app import create_app
from tests.test_web_desk import CAPPED, NOW, TOKEN, capped_desk, desk_config, held

WIDTHS = {"phone": (390, 844), "desktop": (1280, 1000)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="docs")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'shots.db'}")
        store.migrate()
        capped_desk(store)
        held(store, 9, "twitter", image_url="https://news.example.org/9.jpg", image_alt="Council chamber",
             text="Library hours extended on weekends @citylibrary #Library https://news.example.org/9")
        app = create_app(desk_config(CAPPED), store, secure_cookies=False, clock=lambda: NOW)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
                     f"--user-data-dir={Path(tmp) / 'chrome'}"):
            options.add_argument(flag)
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                                                  env=env), options=options)
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            driver.get(base + "/login")
            driver.find_element(By.ID, "token").send_keys(TOKEN)
            driver.find_element(By.ID, "login").click()
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "glance"))
            for name, (width, height) in WIDTHS.items():
                driver.set_window_size(width, height)
                driver.get(base + "/")
                WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "glance"))
                path = out / f"web-{name}.png"
                driver.save_screenshot(str(path))
                print(path)
        finally:
            driver.quit()
            server.shutdown()
            store.close()


if __name__ == "__main__":
    main()
