"""Screenshot a discovery report (``DIR/report.html``) in headless Chromium, for docs/.

    python scripts/report_screenshot.py runs/discover/quick/report.html \
        --out docs/discover_report.png [--width 1280 --height 2400]

Needs a Chromium binary (Debian's ``chromium`` package, or ``--chromium PATH``); the page
is opened as a local file, so the check also shows that the report needs no network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DEFAULT_WIDTH = 1280
DEFAULT_HEIGHT = 2400
TIMEOUT_S = 120


def find_chromium(explicit: str | None) -> str:
    """The Chromium binary to run; exits with one line when there is none."""
    for name in [explicit] if explicit else CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no Chromium found (apt-get install chromium, or --chromium PATH)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/discover_report.png"))
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument("--height", type=int, default=DEFAULT_HEIGHT)
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args()
    command = [
        find_chromium(args.chromium), "--headless", "--no-sandbox", "--disable-gpu",
        "--hide-scrollbars", f"--window-size={args.width},{args.height}",
        f"--screenshot={args.out.resolve()}", args.report.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=TIMEOUT_S, capture_output=True)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes) from {args.report}")


if __name__ == "__main__":
    main()
