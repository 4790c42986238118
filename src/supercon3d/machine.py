"""A one-line description of the machine, printed with every benchmark figure, the name of
the processor a torch device stands for, and the installed versions of packages (recorded with
what a run or a fit produced)."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def describe_machine() -> str:
    """CPU model, core count, memory (GiB) and the torch build, e.g. for benchmark output."""
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory = f", {gib:.0f} GiB RAM"
    import torch

    device = "CUDA " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU only"
    return f"{cpu}, {os.cpu_count()} cores{memory}, torch {torch.__version__} ({device})"


def device_name(device: torch.device | str) -> str:
    """The processor that a torch ``device`` names, e.g. 'cpu' or 'NVIDIA H200'."""
    import torch

    device = torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type


def package_versions(packages: Iterable[str]) -> dict[str, str | None]:
    """Python's version and each installed package's (None where one is not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found
