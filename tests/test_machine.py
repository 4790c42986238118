"""The installed versions that runs and fitted models record."""

from __future__ import annotations

import platform

import numpy as np

from supercon3d.machine import package_versions


def test_package_versions_name_python_and_each_package_and_none_for_a_missing_one():
    found = package_versions(["numpy", "no-such-package-supercon3d"])
    assert found == {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "no-such-package-supercon3d": None,
    }
