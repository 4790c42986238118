"""Write (or check) the SHA-256 manifest of each model folder shipped inside the package.

Run it after replacing or adding any shipped model file (weights, blend, priors, interval
calibrations): loading a shipped model checks every file it reads against its folder's
``MANIFEST.sha256`` and refuses one that differs or is not listed.

    python scripts/model_manifest.py            # rewrite every shipped manifest
    python scripts/model_manifest.py --check    # list stale entries; exit 1 if any
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from supercon3d.models.weights import stale_manifest_entries, write_manifest


def shipped_folders() -> list[Path]:
    """The folder of every model shipped inside the package (``resources/models/*``)."""
    models = Path(str(resources.files("supercon3d") / "resources" / "models"))
    return sorted(path for path in models.iterdir() if path.is_dir())


def main() -> None:
    parser = argparse.ArgumentParser(description="Write or check the shipped model manifests.")
    parser.add_argument("--check", action="store_true", help="List stale entries only.")
    args = parser.parse_args()
    stale = 0
    for folder in shipped_folders():
        if args.check:
            for name in stale_manifest_entries(folder):
                print(f"{folder / name}: not as the manifest says")
                stale += 1
        else:
            path = write_manifest(folder)
            print(f"wrote {path} ({len(path.read_text().splitlines())} files)")
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
