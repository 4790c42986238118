"""The record of one Tc prediction (:class:`TcPrediction`).

Light on purpose (no torch, no pymatgen at import): worker processes send these records back
to a process that loads no model (see :mod:`supercon3d.screening.files`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

WARNING_SEPARATOR = " | "
"""Between a file's warnings in the CSV ``warnings`` column."""

if TYPE_CHECKING:
    import numpy as np
    from pymatgen.core import Composition

    from supercon3d.graphs import CrystalGraph


@dataclass
class TcPrediction:
    """The prediction for one file; ``error`` (one line) instead of numbers if it failed.

    ``tc_kelvin`` is the Tc the crystal would have *if* it superconducts (exp of the ensemble
    mean ln Tc); ``p_superconductor`` says how likely that is. ``tc_low_kelvin`` and
    ``tc_high_kelvin`` bound the conformal interval at the model's calibrated level (90 % for
    the shipped model; None for a run without ``intervals.json``). ``family`` and
    ``high_pressure_hydride`` come from rules over the composition
    (:mod:`supercon3d.data.family`). ``novelty`` says how far the composition lies from the
    model's training compositions (1: as far as a typical chemical system the model never
    saw), ``in_domain`` whether that is close enough to trust the figures as the benchmarks
    do, ``nearest_known`` the nearest SuperCon compositions ([{formula, tc_kelvin}]); all
    three None for a run without ``novelty.safetensors`` (:mod:`supercon3d.models.novelty`).

    ``graph``, ``composition`` and ``structure_features`` are the working inputs of the
    prediction; a record predicted in a worker process comes back without them (see
    :meth:`without_inputs`)."""

    file: str
    formula: str | None = None
    disorder_class: str | None = None
    family: str | None = None
    high_pressure_hydride: bool | None = None
    n_sites: int | None = None
    p_superconductor: float | None = None
    tc_kelvin: float | None = None
    tc_low_kelvin: float | None = None
    tc_high_kelvin: float | None = None
    ln_tc: float | None = None
    ln_tc_std: float | None = None
    novelty: float | None = None
    in_domain: bool | None = None
    nearest_known: list[dict] | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    graph: CrystalGraph | None = field(default=None, repr=False)
    composition: Composition | None = field(default=None, repr=False)
    structure_features: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The JSON record: file, formula, disorder_class, family, high_pressure_hydride,
        p_superconductor, tc_kelvin, tc_low_kelvin, tc_high_kelvin (K), ln_tc, ln_tc_std
        (ln K), n_sites, warnings, novelty, in_domain and nearest_known; or file and error,
        with the input's warnings where it had any."""
        if self.error is not None:
            failed = {"file": self.file, "error": self.error}
            return failed | ({"warnings": self.warnings} if self.warnings else {})
        return {
            "file": self.file,
            "formula": self.formula,
            "disorder_class": self.disorder_class,
            "family": self.family,
            "high_pressure_hydride": self.high_pressure_hydride,
            "p_superconductor": self.p_superconductor,
            "tc_kelvin": self.tc_kelvin,
            "tc_low_kelvin": self.tc_low_kelvin,
            "tc_high_kelvin": self.tc_high_kelvin,
            "ln_tc": self.ln_tc,
            "ln_tc_std": self.ln_tc_std,
            "n_sites": self.n_sites,
            "warnings": self.warnings,
            "novelty": self.novelty,
            "in_domain": self.in_domain,
            "nearest_known": self.nearest_known,
        }

    def without_inputs(self) -> TcPrediction:
        """This record without its graph, composition and structure descriptors: what a
        worker sends back (small to pickle, and read without torch or pymatgen)."""
        return replace(self, graph=None, composition=None, structure_features=None)


def nearest_known_text(nearest: list[dict] | None) -> str:
    """``nearest_known`` as one CSV cell: ``formula (Tc K)`` joined by
    :data:`WARNING_SEPARATOR` (empty without any)."""
    return WARNING_SEPARATOR.join(f"{k['formula']} ({k['tc_kelvin']:g} K)" for k in nearest or [])


def csv_row(record: dict) -> dict:
    """A record of :meth:`TcPrediction.to_dict` flattened for CSV: every warning (joined by
    :data:`WARNING_SEPARATOR`) and their count, the nearest known compositions as text
    (:func:`nearest_known_text`), no site table."""
    row = {k: v for k, v in record.items() if k not in ("sites", "warnings")}
    row["n_warnings"] = len(record.get("warnings", []))
    row["warnings"] = WARNING_SEPARATOR.join(record.get("warnings", []))
    if "nearest_known" in record:
        row["nearest_known"] = nearest_known_text(record["nearest_known"])
    return row
