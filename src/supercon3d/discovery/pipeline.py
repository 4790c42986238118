"""A discovery run from end to end: the stages of :mod:`supercon3d.discovery.steps` in order
(finished ones read back instead of recomputed), then the candidate tables, the record of
what fell out and the report.

Outputs in the run folder: ``candidates_ordered.csv``, ``candidates_disordered.csv``,
``high_pressure_hydrides.csv`` (ranked the same way but never in the candidate tables),
``dropped.csv`` (every candidate that fell out: stage, reason, detail), ``run.json`` (with
the sources side by side under ``source_comparison``, :mod:`supercon3d.discovery.comparison`)
and ``report.html``.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from supercon3d.data.cif import CifReadError
from supercon3d.discovery.candidates import output_table
from supercon3d.discovery.comparison import COMPARISON_KEY, source_comparison
from supercon3d.discovery.run_record import RUN_FILE, RunRecord, check_folder, check_writable
from supercon3d.discovery.settings import DiscoverySettings
from supercon3d.discovery.sources import GENERATION_FOLDER
from supercon3d.discovery.stages import DROPPED_COLUMNS, StageResult, StageStore
from supercon3d.discovery.steps import STAGES, RunContext, hydrides
from supercon3d.progress import Log, ProgressFactory, no_log, no_progress

ORDERED_FILE = "candidates_ordered.csv"
DISORDERED_FILE = "candidates_disordered.csv"
HYDRIDES_FILE = "high_pressure_hydrides.csv"
DROPPED_FILE = "dropped.csv"
REPORT_FILE = "report.html"
OUTPUT_FILES = (ORDERED_FILE, DISORDERED_FILE, HYDRIDES_FILE, DROPPED_FILE, REPORT_FILE, RUN_FILE)


@dataclass
class DiscoveryRun:
    """A finished run: its folder, the ``run.json`` record, the ordered, disordered and
    high-pressure-hydride candidate tables and every dropped candidate (``dropped``: id,
    formula, stage, reason, detail)."""

    folder: Path
    record: dict
    ordered: pd.DataFrame
    disordered: pd.DataFrame
    hydrides: pd.DataFrame
    dropped: pd.DataFrame


def _models(tc_model: str, potential: str) -> dict:
    from supercon3d.models.shipped import SHIPPED_GENERATOR

    return {"tc": tc_model, "p_superconductor": "shipped classifier",
            "generator": SHIPPED_GENERATOR, "potential": potential}  # fmt: skip


def _start_again(out: Path) -> None:
    """Remove what an earlier run wrote (only the run's own files and folders)."""
    StageStore(out).clear([name for name, _ in STAGES])
    shutil.rmtree(out / GENERATION_FOLDER, ignore_errors=True)
    for name in OUTPUT_FILES:
        (out / name).unlink(missing_ok=True)


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    table.to_csv(temporary, index=False)
    os.replace(temporary, path)


def _all_dropped(results: dict[str, StageResult]) -> pd.DataFrame:
    rows = [
        {**vars(item), "stage": name} for name, result in results.items() for item in result.dropped
    ]
    return pd.DataFrame(rows, columns=DROPPED_COLUMNS)


def run_discovery(
    out_dir: str | os.PathLike,
    settings: DiscoverySettings = DiscoverySettings(),
    *,
    data: str | os.PathLike | None = None,
    force: bool = False,
    progress: ProgressFactory = no_progress,
    log: Log = no_log,
) -> DiscoveryRun:
    """Run (or resume) the discovery pipeline in ``out_dir`` and write its outputs (module
    docstring). A folder that is a file or cannot be written is refused before anything
    runs; a folder with another run's settings is refused unless ``force``, which
    starts it again; finished stages of a run with the same settings are read back (up to
    the first stage that has to run: the stages after it run again)."""
    from supercon3d.discovery.report import write_report
    from supercon3d.machine import describe_machine
    from supercon3d.stability import DEFAULT_POTENTIAL

    out = Path(out_dir)
    check_writable(out)
    resume = check_folder(out, settings, force)
    if not resume:
        _start_again(out)
    out.mkdir(parents=True, exist_ok=True)
    potential = settings.potential or DEFAULT_POTENTIAL
    record = RunRecord(out, settings, _models(settings.tc_model, potential), describe_machine())
    record.save()
    store = StageStore(out)
    context = RunContext(out, settings, data, progress, log, potential)
    recomputed = False
    for name, stage in STAGES:
        finished = store.finished(name) and not recomputed
        if finished:
            try:
                result = store.read(name)
            except CifReadError as error:  # written before every CIF was read back
                log(f"{name}: finished earlier but unreadable ({error}); computing it again")
                finished = False
        if not finished:
            started = time.perf_counter()
            result = stage(context)
            result.seconds = time.perf_counter() - started
            result = store.write(result)
            recomputed = True
        context.results[name] = result
        record.add_stage(result, finished)
        what = "finished earlier, read back" if finished else f"{result.seconds:.0f} s"
        log(f"{name}: {result.n_in} in, {result.n_out} kept ({what})")
    ordered = output_table(context.results["ordered"].table)
    disordered = output_table(context.results["disordered"].table)
    found_hydrides = output_table(hydrides(context.results["unique"].table))
    dropped = _all_dropped(context.results)
    outputs = {ORDERED_FILE: ordered, DISORDERED_FILE: disordered,
               HYDRIDES_FILE: found_hydrides, DROPPED_FILE: dropped}  # fmt: skip
    for file, table in outputs.items():
        _write_csv(table, out / file)
    record.data[COMPARISON_KEY] = source_comparison(context.results, out)
    counts = {"ordered": len(ordered), "disordered": len(disordered),
              "high_pressure_hydrides": len(found_hydrides), "dropped": len(dropped)}  # fmt: skip
    record.finish({name: name for name in [*outputs, REPORT_FILE]}, counts)
    run = DiscoveryRun(out, record.data, ordered, disordered, found_hydrides, dropped)
    write_report(run, context.results, out / REPORT_FILE, context.progress)
    log(f"wrote {out / ORDERED_FILE}, {out / DISORDERED_FILE} and {out / REPORT_FILE}")
    return run
