"""No run lost to one failure: ``stability`` with a cache it cannot write, a hull completion
that fails, one structure that raises, a worker process that dies; each fails its own record
(or warns), every other result is written."""

from __future__ import annotations

import json
from concurrent.futures.process import BrokenProcessPool

import pytest
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.executor import SerialExecutor
from supercon3d.stability import assess, completion
from supercon3d.stability.prototypes import binary_prototypes

pytest.importorskip("chgnet")

FAKE_ENERGY = -10.0
"""eV/atom of the fake prototype binary: far below anything real, so that the structure's
energy above the hull shows it was used."""


@pytest.fixture
def unwritable_cache(tmp_path, monkeypatch):
    """A cache folder that cannot be created (its parent is a file), as a read-only disk,
    whoever runs the test (root ignores permissions)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SUPERCON3D_CACHE", str(blocker / "cache"))


@pytest.fixture
def fake_binaries(monkeypatch):
    """No shipped prototype binaries, and a completion that 'relaxes' one binary per pair at
    :data:`FAKE_ENERGY` in no time (the pairs run here: one worker)."""
    monkeypatch.setattr("supercon3d.stability.hull.shipped_binaries", lambda potential: {})

    def one_binary(task):
        first, second, _, _ = task
        formula = f"{first}{second}"
        return [(formula, FAKE_ENERGY, f"prototype-fake-{formula}")]

    monkeypatch.setattr(completion, "_relax_pair", one_binary)


def _silver_calcium() -> Structure:
    """A CsCl-type AgCa cell: Ag and Ca meet in no compound of the reference table."""
    return binary_prototypes("Ag", "Ca")["cscl-AB"]


def _caesium_chloride(a: float = 4.1) -> Structure:
    return Structure(Lattice.cubic(a), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def test_a_cache_that_cannot_be_written_warns_once_and_the_hull_is_completed_all_the_same(
    unwritable_cache, fake_binaries, recwarn
):
    from supercon3d.stability.hull import reference_hull

    with SerialExecutor() as executor:
        hull = completion.complete_hull([("Ag", "Ca"), ("Ag", "Sr")], "chgnet", executor)
    assert hull.entries["AgCa"][0] == hull.entries["AgSr"][0] == FAKE_ENERGY
    written = [w for w in recwarn if "cannot be written" in str(w.message)]
    assert len(written) == 1 and "computed again next time" in str(written[0].message)
    assert "AgCa" not in reference_hull("chgnet").entries  # nothing was cached


def test_stability_with_a_cache_that_cannot_be_written_keeps_every_record(
    unwritable_cache, fake_binaries
):
    with pytest.warns(UserWarning, match="cannot be written"):
        records = assess.assess_stability(
            [_silver_calcium(), _caesium_chloride()], ["agca", "cscl"], max_steps=0, workers=1
        )
    assert [r.error for r in records] == [None, None]
    placed, cscl = records
    assert not placed.hull_incomplete and placed.e_above_hull > 1.0  # above the fake AgCa
    assert cscl.e_above_hull is not None


def test_the_command_with_a_cache_that_cannot_be_written_prints_every_record(
    unwritable_cache, fake_binaries, tmp_path
):
    cifs = []
    for name, structure in (("agca", _silver_calcium()), ("cscl", _caesium_chloride())):
        cifs.append(tmp_path / f"{name}.cif")
        structure.to(filename=str(cifs[-1]))
    arguments = ["stability", *map(str, cifs), "--json", "--max-steps", "0", "--workers", "1"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["error"] for r in records] == [None, None]
    assert records[0]["hull_incomplete"] is False


def test_one_structure_that_raises_fails_its_own_record(monkeypatch):
    real = assess.relax_one

    def fragile(structure, name, potential, max_steps):
        if name == "bad":
            raise KeyError("a species the featurizer has never seen")
        return real(structure, name, potential, max_steps)

    monkeypatch.setattr(assess, "relax_one", fragile)
    cells = [_caesium_chloride(a) for a in (4.0, 4.1, 4.2)]
    records = assess.assess_stability(cells, ["first", "bad", "last"], max_steps=0, workers=1)
    first, bad, last = records
    assert bad.error == "bad: KeyError: 'a species the featurizer has never seen'"
    assert first.error is None and last.error is None
    assert first.e_above_hull is not None and last.e_above_hull is not None


def test_a_hull_completion_that_fails_leaves_the_hull_incomplete_with_a_warning(
    monkeypatch, fake_binaries
):
    def broken(*args, **kwargs):
        raise RuntimeError("the pool broke\nsecond line")

    monkeypatch.setattr(completion, "complete_hull", broken)
    needing, complete = assess.assess_stability(
        [_silver_calcium(), _caesium_chloride()], ["agca", "cscl"], max_steps=0, workers=1
    )
    assert needing.error is None and needing.hull_incomplete
    assert needing.e_above_hull is not None
    assert "hull not completed (RuntimeError: the pool broke)" in needing.warnings
    assert not any("hull not completed" in w for w in complete.warnings)


class _DyingPool(SerialExecutor):
    """A pool whose workers die after the first task (killed for memory, a crash)."""

    def map(self, function, items, chunksize=1):
        items = list(items)
        yield function(items[0])
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")


def test_worker_processes_that_die_leave_the_finished_records_and_name_the_others(monkeypatch):
    monkeypatch.setattr(assess, "make_executor", lambda *args, **kwargs: _DyingPool())
    cells = [_caesium_chloride(a) for a in (4.0, 4.1, 4.2)]
    done, second, third = assess.assess_stability(
        cells, ["done", "second", "third"], max_steps=0, complete_hull=False
    )
    assert done.error is None and done.e_above_hull is not None
    assert second.error == (
        "second: not relaxed (BrokenProcessPool: A process in the process pool was "
        "terminated abruptly)"
    )
    assert third.error.startswith("third: not relaxed")
