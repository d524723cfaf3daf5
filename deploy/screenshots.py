"""Screenshots of the main pages into docs/screenshots/ (run by `scripts/screenshots`): the demo
data with its year of history on a private server, headless Chromium at a laptop's and a
phone's size, in Chinese and English; PNGs reduced to 256 colours to keep the docs small."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from PIL import Image

from deploy.local import ROOT, Processes, child_env

CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo12345"  # tracker.demo.DEMO_PASSWORD
# name, who is signed in, path ({document}, {branch}: ids of the demo data)
PAGES = [
    ("login", None, "/login"),
    ("home", "zhang", "/"),
    ("player", "zhang", "/play/{document}"),
    ("archive", "zhang", "/archive"),
    ("review-queue", "admin", "/learning/review"),
    ("admin-console", "admin", "/admin"),
    ("unit-report", "admin", "/admin/reports?unit_id={branch}"),
]
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"zh": "zh-CN", "en": "en-US"}


def api(url: str, path: str, token: str) -> Any:
    """GET a JSON API path as the holder of `token`."""
    request = urllib.request.Request(
        f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def demo_ids(url: str) -> dict[str, int]:
    """The ids the page paths need, asked of the API as the demo admin."""
    login = urllib.request.Request(
        f"{url}/api/v1/auth/token",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = json.loads(response.read())["token"]
    units = api(url, "/units", token)
    courseware = api(url, "/courseware", token)
    return {
        "document": next(c["id"] for c in courseware if c["kind"] == "document"),
        "branch": next(u["id"] for u in units if u["parent_id"] is None),
    }


def sign_in(context: Any, url: str, username: str, password: str = PASSWORD) -> None:
    """Log a browser context in through the login form."""
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    if "/login" in page.url:
        raise RuntimeError(f"{username} could not log in")
    page.close()


def optimise(path: Path) -> None:
    """Rewrite a screenshot with a 256-colour palette, compressed as far as PNG goes."""
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


def shoot(browser: Any, url: str, ids: dict[str, int], out: Path) -> list[Path]:
    """Every page at every size in every language; returns the files written."""
    written = []
    for language, locale in LOCALES.items():
        for size, viewport in SIZES.items():
            context = browser.new_context(
                viewport=viewport,
                locale=locale,
                is_mobile=size == "phone",
                has_touch=size == "phone",
            )
            signed_in = None
            for name, who, path in PAGES:
                if who != signed_in:
                    context.clear_cookies()
                    if who:
                        sign_in(context, url, who)
                    signed_in = who
                page = context.new_page()
                page.goto(f"{url}{path.format(**ids)}")
                if path.startswith("/play/"):
                    page.wait_for_selector("#doc-loading", state="hidden")
                else:
                    page.wait_for_load_state("networkidle")
                file = out / f"{name}-{size}-{language}.png"
                # The whole page, down to twice the window's height at most.
                height = min(page.evaluate("document.body.scrollHeight"), 2 * viewport["height"])
                clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
                page.screenshot(path=str(file), full_page=True, clip=clip)
                page.close()
                optimise(file)
                written.append(file)
            context.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNGs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, Processes() as processes:
        env = {
            "TRACKER_DATABASE_URL": f"sqlite:///{home}/tracker.db",
            "TRACKER_MEDIA_DIR": f"{home}/media",
            "TRACKER_SECRET_KEY": "screenshots",
            "TRACKER_HOST": "127.0.0.1",
        }
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"],
            cwd=ROOT,
            env=child_env(env),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = processes.server("screenshots", env)
        ids = demo_ids(server.url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            written = shoot(browser, server.url, ids, args.out)
            browser.close()
    total = sum(f.stat().st_size for f in written)
    print(f"{len(written)} screenshots in {args.out}, {total / 1024**2:.1f} MB")


if __name__ == "__main__":
    main()
