"""The screenshots of docs/serve.md: the three tabs of ``supercon3d serve`` in headless
Chromium (Debian's ``chromium`` and ``chromium-driver``), on loopback.

    python scripts/serve_screenshots.py [--runs DIR] [--cifs 40] [--timeout 3600]

The screening tab shows a database screened here from ``--cifs`` SuperCon3D CIFs (seeded
sample); the discovery tab the runs of ``--runs`` (created if missing), where a quick
``discover`` run (seed 0) is started, or resumed, through the page's API and awaited. Writes
docs/serve_predict.png (the prediction table with the 3D view of a disordered entry open),
docs/serve_screen.png and docs/serve_discover.png, each reduced to a small palette PNG.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from supercon3d import api
from supercon3d.settings import dataset_path
from supercon3d.web.serve import running_server
from supercon3d.web.settings import ServeSettings

DOCS = Path(__file__).resolve().parents[1] / "docs"
SEED = 0
PREDICT_FILES = ("671985.cif",)
"""Shown first in the prediction table (besides the sample)."""
WINDOW = (1280, 860)
WIDTH = 1000
"""Pixels across a saved screenshot."""
COLOURS = 64
POLL_S = 5


def small_png(source: Path, target: Path) -> None:
    """``source`` scaled to :data:`WIDTH` pixels and reduced to :data:`COLOURS` colours."""
    image = Image.open(source).convert("RGB")
    height = round(image.height * WIDTH / image.width)
    image = image.resize((WIDTH, height), Image.LANCZOS).quantize(COLOURS)
    image.save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(
        options=options, service=webdriver.ChromeService(shutil.which("chromedriver"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/serve-screenshots"))
    parser.add_argument("--cifs", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    cifs = sorted(dataset_path("supercon3d/cif").glob("*.cif"))
    sample = random.Random(SEED).sample(cifs, args.cifs)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = folder / "screen.sqlite"
        api.screen(sample, db, workers=1)
        runs = args.runs
        runs.mkdir(parents=True, exist_ok=True)
        settings = ServeSettings(databases=(db,), runs=runs)
        driver = browser()
        try:
            with running_server(settings) as base:
                answer = httpx.post(base + "/api/runs", json={"name": "quick-0", "seed": 0})
                answer.raise_for_status()
                wait = WebDriverWait(driver, args.timeout)
                driver.get(base + "/")
                upload = [dataset_path("supercon3d/cif") / name for name in PREDICT_FILES]
                upload += sample[:7]
                driver.find_element(By.ID, "files").send_keys("\n".join(map(str, upload)))
                rows = "#predictions tbody tr"
                wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, rows)) == len(upload))
                table = driver.find_elements(By.CSS_SELECTOR, rows)
                cells = [row.find_elements(By.TAG_NAME, "td") for row in table]
                disordered = [row for row, row_cells in zip(table, cells)
                              if row_cells[2].text not in ("O", "")]  # fmt: skip
                disordered[0].click()
                wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#sites tbody tr"))
                driver.save_screenshot(str(folder / "predict.png"))
                small_png(folder / "predict.png", DOCS / "serve_predict.png")
                driver.find_element(By.ID, "viewer-close").click()
                driver.find_element(By.CSS_SELECTOR, '.tab[data-tab="screen"]').click()
                wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#screen-rows tbody tr"))
                driver.save_screenshot(str(folder / "screen.png"))
                small_png(folder / "screen.png", DOCS / "serve_screen.png")
                started = time.monotonic()
                while any(run["status"] == "running"
                          for run in httpx.get(base + "/api/runs").json()):  # fmt: skip
                    if time.monotonic() - started > args.timeout:
                        raise SystemExit("the discovery run did not finish in time")
                    time.sleep(POLL_S)
                driver.find_element(By.CSS_SELECTOR, '.tab[data-tab="discover"]').click()
                wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#runs tbody tr"))
                for box in driver.find_elements(By.CSS_SELECTOR, "#runs tbody input"):
                    box.click()
                driver.save_screenshot(str(folder / "discover.png"))
                small_png(folder / "discover.png", DOCS / "serve_discover.png")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
