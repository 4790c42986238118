"""The page in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium; nothing is downloaded) loads the page from a server
on loopback, uploads two CIFs, waits for their rows, opens the 3D view and reads a value
from the table. Skipped, with one line, where the browser is not installed."""

from __future__ import annotations

import shutil

import httpx
import pytest

from supercon3d.web.serve import running_server
from supercon3d.web.settings import ServeSettings
from test_web_api import MIXED, NB

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no headless browser: apt-get install chromium chromium-driver",
)
WAIT_S = 300
"""Longest wait for the predictions and the 3D view (a busy 2-core machine)."""


@pytest.fixture
def browser():
    selenium = pytest.importorskip("selenium.webdriver")
    options = selenium.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(argument)
    driver = selenium.Chrome(options=options, service=selenium.ChromeService(CHROMEDRIVER))
    yield driver
    driver.quit()


def test_upload_two_cifs_open_the_structure_and_read_the_table(browser, tmp_path, one_torch_thread):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    paths = [tmp_path / "nb.cif", tmp_path / "mixed.cif"]
    for path, text in zip(paths, (NB, MIXED)):
        path.write_text(text)
    with running_server(ServeSettings()) as base:
        browser.get(base + "/")
        browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in paths))
        wait = WebDriverWait(browser, WAIT_S)
        rows = "#predictions tbody tr"
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, rows)) == 2)
        table = {row.find_elements(By.TAG_NAME, "td")[0].text: row
                 for row in browser.find_elements(By.CSS_SELECTOR, rows)}  # fmt: skip
        assert set(table) == {"nb.cif", "mixed.cif"}
        shown_tc = float(table["nb.cif"].find_elements(By.TAG_NAME, "td")[6].text)
        answer = httpx.post(base + "/api/predict", files={"files": ("nb.cif", NB)}, timeout=WAIT_S)
        (record,) = answer.json()
        assert shown_tc == pytest.approx(record["tc_kelvin"], abs=0.05)
        table["mixed.cif"].click()
        sites = "#sites tbody tr"
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, sites)) == 5)
        assert browser.find_element(By.ID, "viewer").is_displayed()
        assert "Ba:0.6 Sr:0.4" in browser.find_element(By.CSS_SELECTOR, sites).text
        assert browser.find_element(By.ID, "viewer-error").text == ""
