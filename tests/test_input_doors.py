"""Every input door under one reader and one contract: files, folder entries, archive members,
CSV cells, ASE formats and Structures given to the API. Nothing that is not a regular file is
opened, nothing is read past its cap, every input is a row, and every structure meets the
same rules."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import ase.io
import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.data import files, sources
from supercon3d.data.contract import (
    MAX_MODELLED_ATOMIC_NUMBER,
    RULE_ELEMENT,
    RULE_FILE,
    RULE_POSITIONS,
    RULE_SIZE,
    InputRefused,
    check_structure,
)
from supercon3d.data.files import read_capped, read_regular_file
from supercon3d.data.inputs import checked_structure, read_item, read_structures
from supercon3d.data.sources import KIND_ATOMS, KIND_CIF, KIND_ERROR, iter_sources
from tiny_model import write_tiny_run


def mgb2() -> Structure:
    return Structure(
        Lattice.hexagonal(3.086, 3.524), ["Mg", "B", "B"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]],
    )  # fmt: skip


def mgb2_cif() -> str:
    from pymatgen.io.cif import CifWriter

    return str(CifWriter(mgb2()))


def by_id(items) -> dict:
    return {item.id: item for item in items}


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder with a good CIF, a FIFO and a link to /dev/zero, both named ``*.cif``."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "good.cif").write_text(mgb2_cif())
    os.mkfifo(folder / "pipe.cif")
    (folder / "zero.cif").symlink_to("/dev/zero")
    return folder


def test_a_fifo_and_a_device_link_are_refused_without_being_read(folder):
    items = by_id(iter_sources([folder]))
    assert items[f"{folder}::good.cif"].kind == KIND_CIF
    assert "a FIFO (named pipe), not a regular file" in items[f"{folder}::pipe.cif"].error
    assert "a character device, not a regular file" in items[f"{folder}::zero.cif"].error
    for name in ("pipe.cif", "zero.cif"):
        with pytest.raises(InputRefused, match=rf"\[rule: {RULE_FILE}\]"):
            read_regular_file(folder / name, 1000, name)
    read = {Path(r.name).name: r.error for r in read_structures([folder / "pipe.cif",
                                                                folder / "zero.cif"])}  # fmt: skip
    assert "FIFO" in read["pipe.cif"] and "character device" in read["zero.cif"]


class CountingStream(io.BytesIO):
    """Bytes that count how many were read."""

    handed = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.handed += len(chunk)
        return chunk


def test_reading_stops_one_byte_past_the_cap():
    stream = CountingStream(bytes(1_000_000))
    with pytest.raises(InputRefused, match=rf"more than 1,000 bytes.*\[rule: {RULE_SIZE}\]"):
        read_capped(stream, 1000, "x")
    assert stream.handed == 1001
    assert read_capped(io.BytesIO(b"abc"), 3, "x") == b"abc"


def lying_zip(path: Path, members: dict[str, bytes], claimed: dict[str, int]) -> None:
    """A zip whose local and central headers claim ``claimed`` uncompressed sizes (bytes)
    for some members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offsets = {info.filename: info.header_offset for info in archive.infolist()}
    for name, size in claimed.items():
        data[offsets[name] + 22 : offsets[name] + 26] = size.to_bytes(4, "little")
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        name = data[entry + 46 : entry + 46 + length].decode()
        if name in claimed:
            data[entry + 24 : entry + 28] = claimed[name].to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 46)
    path.write_bytes(bytes(data))


def test_a_member_that_inflates_past_its_header_is_refused_and_the_others_read(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(sources, "MAX_CIF_BYTES", 5_000)
    archive = tmp_path / "bomb.zip"
    big = b"data_x\n" + bytes(2_000_000)
    lying_zip(archive, {"a.cif": mgb2_cif().encode(), "big.cif": big, "c.cif":
                        mgb2_cif().encode()}, {"big.cif": 927})  # fmt: skip
    items = by_id(iter_sources([archive]))
    assert items[f"{archive}::big.cif"].kind == KIND_ERROR
    assert [items[f"{archive}::{n}"].kind for n in ("a.cif", "c.cif")] == [KIND_CIF, KIND_CIF]
    honest = tmp_path / "big.zip"
    lying_zip(honest, {"big.cif": big}, {})
    (item,) = iter_sources([honest])
    assert "2,000,007 bytes, above 5,000" in item.error


def test_a_damaged_member_fails_alone(tmp_path):
    archive = tmp_path / "three.zip"
    text = mgb2_cif().encode()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name in ("a.cif", "b.cif", "c.cif"):
            out.writestr(name, text)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("b.cif")
    start = info.header_offset + 30 + len("b.cif")
    data[start + 10 : start + 40] = bytes(30)
    archive.write_bytes(bytes(data))
    items = list(iter_sources([archive]))
    assert [item.name for item in items] == ["a.cif", "b.cif", "c.cif"]
    assert [item.kind for item in items] == [KIND_CIF, KIND_ERROR, KIND_CIF]
    assert "a damaged archive member" in items[1].error and "b.cif" in items[1].error


def test_every_tar_member_is_a_row_links_and_devices_refused(tmp_path):
    archive = tmp_path / "mixed.tar"
    text = mgb2_cif().encode()
    with tarfile.open(archive, "w") as out:
        info = tarfile.TarInfo("good.cif")
        info.size = len(text)
        out.addfile(info, io.BytesIO(text))
        for name, kind, target in [("passwd.cif", tarfile.SYMTYPE, "/etc/passwd"),
                                   ("hard.cif", tarfile.LNKTYPE, "good.cif"),
                                   ("pipe.cif", tarfile.FIFOTYPE, ""),
                                   ("tty.cif", tarfile.CHRTYPE, "")]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            out.addfile(info)
    items = {item.name: item for item in iter_sources([archive])}
    assert items["good.cif"].kind == KIND_CIF
    assert "a symbolic link (to /etc/passwd) in the archive" in items["passwd.cif"].error
    assert "a hard link (to good.cif) in the archive" in items["hard.cif"].error
    assert "a FIFO (named pipe)" in items["pipe.cif"].error
    assert "a character device" in items["tty.cif"].error


def test_duplicate_ids_become_unique_rows_with_a_warning(tmp_path):
    table = tmp_path / "rows.csv"
    cif = mgb2_cif().replace('"', "")
    table.write_text(f'material_id,cif\nx,"{cif}"\nx,"{cif}"\n')
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("a.cif", mgb2_cif())
        with pytest.warns(UserWarning, match="Duplicate name"):
            out.writestr("a.cif", mgb2_cif())
    items = list(iter_sources([table, archive]))
    ids = [item.id for item in items]
    assert ids == [f"{table}::x", f"{table}::x#2", f"{archive}::a.cif", f"{archive}::a.cif#2"]
    assert "this one is" in items[1].warnings[0] and items[0].warnings == ()
    structure, warnings, _ = read_item(items[1])
    assert len(structure) == 3 and warnings[0] == items[1].warnings[0]


def test_an_oversized_csv_cell_is_a_row_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_CIF_BYTES", 2_000)
    table = tmp_path / "rows.csv"
    cif = mgb2_cif().replace('"', "")
    table.write_text(f'id,cif\nok,"{cif}"\nbig,"{"x" * 5000}"\n')
    items = list(iter_sources([table]))
    assert items[0].kind == KIND_CIF and items[1].kind == KIND_ERROR
    assert "CSV row 2" in items[1].error and "not read" in items[1].error


def test_linked_folders_are_followed_and_a_loop_is_a_row(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.cif").write_text(mgb2_cif())
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.cif").write_text(mgb2_cif())
    (root / "linked").symlink_to(other)
    (root / "sub" / "back").symlink_to(root)
    items = by_id(iter_sources([root]))
    assert items[f"{root}::linked/b.cif"].kind == KIND_CIF
    assert items[f"{root}::sub/a.cif"].kind == KIND_CIF
    assert "a loop" in items[f"{root}::sub/back"].error


def test_an_unreadable_subfolder_is_a_row(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "locked").mkdir(parents=True)
    (root / "a.cif").write_text(mgb2_cif())
    listing = os.scandir

    def refuse_locked(path):  # as a folder without read permission (root reads any)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(os, "scandir", refuse_locked)
    items = by_id(iter_sources([root]))
    assert items[f"{root}::a.cif"].kind == KIND_CIF
    assert "an unreadable folder (Permission denied)" in items[f"{root}::locked"].error


def write_frame(path: Path, x: float) -> Path:
    atoms = AseAtomsAdaptor.get_atoms(mgb2())
    atoms.positions[0, 0] = x
    ase.io.write(path, atoms, format="extxyz")
    return path


@pytest.mark.parametrize(
    "x, words",
    [(1e6, "is beyond ±10 cells"), (1e7, "is beyond ±10"), (np.nan, "not finite"),
     (np.inf, "not finite")],
)  # fmt: skip
def test_ase_frames_meet_the_position_rule(tmp_path, x, words):
    path = write_frame(tmp_path / "far.extxyz", x)
    (item,) = iter_sources([path])
    assert item.kind == KIND_ATOMS
    with pytest.raises(InputRefused, match=rf"{words}.*\[rule: {RULE_POSITIONS}\]"):
        read_item(item)
    (read,) = read_structures([path])
    assert read.structure is None and f"[rule: {RULE_POSITIONS}]" in read.error


@pytest.mark.parametrize("x", [1e6, np.nan])
def test_structures_given_to_the_api_meet_the_position_rule(x):
    structure = mgb2()
    structure.replace(0, "Mg", [x, 0, 0], coords_are_cartesian=True)
    read = checked_structure(structure, "s")
    assert read.structure is None and f"[rule: {RULE_POSITIONS}]" in read.error
    (record,) = read_structures([structure], names=["given"])
    assert record.error.startswith("given: ")


@pytest.mark.parametrize("element", ["Am", "Cm", "No", "Lr"])
def test_elements_the_models_cannot_describe_are_refused_at_every_door(tmp_path, element):
    structure = Structure(Lattice.hexagonal(3.2, 3.9), [element, "B", "B"],
                          [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]])  # fmt: skip
    rule = rf"beyond Pu \(Z = {MAX_MODELLED_ATOMIC_NUMBER}\).*\[rule: {RULE_ELEMENT}\]"
    with pytest.raises(InputRefused, match=rule):
        check_structure(structure, "s")
    cif = tmp_path / f"{element}B2.cif"
    structure.to(filename=str(cif))
    frame = tmp_path / f"{element}B2.extxyz"
    ase.io.write(frame, AseAtomsAdaptor.get_atoms(structure), format="extxyz")
    for read in read_structures([cif, frame, structure]):
        assert read.structure is None and "beyond Pu" in read.error


def test_the_element_bound_is_chgnets_embedding_and_magpie_covers_it():
    from supercon3d.graphs.elements import CHGNET_EMBEDDING, element_table
    from supercon3d.pretrained import CHGNET_MODEL, chgnet_checkpoint

    weights = chgnet_checkpoint(CHGNET_MODEL)["state_dict"][CHGNET_EMBEDDING]
    assert len(weights) == MAX_MODELLED_ATOMIC_NUMBER
    assert np.isfinite(element_table("magpie")[:MAX_MODELLED_ATOMIC_NUMBER]).all()


def test_a_file_replaced_by_a_fifo_after_the_check_is_not_read(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe.cif")
    monkeypatch.setattr(files, "check_regular", lambda path, source: None)
    with pytest.raises(InputRefused, match="FIFO"):
        read_regular_file(tmp_path / "pipe.cif", 1000, "pipe.cif")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return write_tiny_run(tmp_path_factory.mktemp("tiny"))


def test_predict_reads_what_screen_reads(tmp_path, tiny_run):
    poscar = tmp_path / "POSCAR"
    ase.io.write(poscar, AseAtomsAdaptor.get_atoms(mgb2()), format="vasp")
    frame = write_frame(tmp_path / "far.extxyz", 1e6)
    out = tmp_path / "p.json"
    arguments = ["predict", str(poscar), str(frame), "--out", str(out)]
    result = CliRunner().invoke(app, [*arguments, "--checkpoints", str(tiny_run)])
    assert "Traceback" not in result.output
    import json

    records = {r["file"]: r for r in json.loads(out.read_text())}
    assert records[f"{poscar}::0"].get("error") is None
    assert records[f"{poscar}::0"]["formula"] == "MgB2"
    assert f"[rule: {RULE_POSITIONS}]" in records[f"{frame}::0"]["error"]
