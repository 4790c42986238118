"""Peak memory and time of `supercon3d screen` and `supercon3d predict` on hostile inputs.

Each case is written to a scratch folder, then each command runs on it in a fresh process
under ``/usr/bin/time -v``, whose maximum resident set size is that of the largest process of
the run (the coordinator or one of its workers). The cases: a folder holding a FIFO named
``*.cif`` and a good CIF, a folder holding a link to ``/dev/zero`` named ``*.cif``, a zip
whose member's headers claim 927 bytes but which inflates to 1.1 GB, and extxyz frames with
an atom at x = 1e6 Å, at 1e7 Å and at NaN.

    python benchmarks/input_doors_memory.py                  # every case, both commands
    python benchmarks/input_doors_memory.py --command screen --case extxyz
    PYTHONPATH=/other/src python benchmarks/input_doors_memory.py   # another version
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BOMB_BYTES = 1_100_000_000
"""What the zip member inflates to (bytes)."""
CLAIMED_BYTES = 927
"""What its headers say it holds (bytes)."""
CASE_TIMEOUT_S = 300
"""A case still running after this long counts as a hang."""
MGB2_CIF = """data_MgB2
_cell_length_a 3.086
_cell_length_b 3.086
_cell_length_c 3.524
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 120
_symmetry_space_group_name_H-M 'P 1'
loop_
_symmetry_equiv_pos_as_xyz
 x,y,z
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Mg1 Mg 0 0 0 1
B1 B 0.333333 0.666667 0.5 1
B2 B 0.666667 0.333333 0.5 1
"""


def fifo_folder(root: Path) -> Path:
    folder = root / "fifo"
    folder.mkdir()
    (folder / "good.cif").write_text(MGB2_CIF)
    os.mkfifo(folder / "pipe.cif")
    return folder


def zero_link_folder(root: Path) -> Path:
    folder = root / "zero"
    folder.mkdir()
    (folder / "good.cif").write_text(MGB2_CIF)
    (folder / "zero.cif").symlink_to("/dev/zero")
    return folder


def inflating_zip(root: Path) -> Path:
    """A zip of a good CIF and a member of ``BOMB_BYTES`` (a ``data_`` line, then spaces)
    whose local and central headers claim ``CLAIMED_BYTES``."""
    path = root / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("good.cif", MGB2_CIF)
        with archive.open("bomb.cif", "w") as member:
            member.write(b"data_bomb\n")
            chunk = b" " * (1 << 20)
            for _ in range(BOMB_BYTES // len(chunk)):
                member.write(chunk)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("bomb.cif").header_offset
    claimed = CLAIMED_BYTES.to_bytes(4, "little")
    data[offset + 22 : offset + 26] = claimed
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + length] == b"bomb.cif":
            data[entry + 24 : entry + 28] = claimed
        entry = data.find(b"PK\x01\x02", entry + 46)
    path.write_bytes(bytes(data))
    return path


def far_frame(x: str):
    def make(root: Path) -> Path:
        path = root / f"atom_at_{x}.extxyz"
        path.write_text(
            '3\nLattice="3.086 0.0 0.0 -1.543 2.6725 0.0 0.0 0.0 3.524" '
            'Properties=species:S:1:pos:R:3 pbc="T T T"\n'
            f"Mg {x} 0.0 0.0\nB 0.0 1.7817 1.762\nB 1.543 0.8908 1.762\n"
        )
        return path

    return make


CASES = {
    "FIFO named *.cif in a folder": fifo_folder,
    "link to /dev/zero named *.cif in a folder": zero_link_folder,
    f"zip member claiming {CLAIMED_BYTES} B, inflating to 1.1 GB": inflating_zip,
    "extxyz, an atom at x = 1e6 Å": far_frame("1e6"),
    "extxyz, an atom at x = 1e7 Å": far_frame("1e7"),
    "extxyz, an atom at x = NaN": far_frame("nan"),
}
COMMANDS = ("screen", "predict")


def run(command: str, case: Path, scratch: Path) -> tuple[float, float, str]:
    """(max RSS in MB, seconds, the output's last line) of one command on one case."""
    cli = "from supercon3d.cli.main import app; app()"
    arguments = [sys.executable, "-c", cli, command, str(case)]
    if command == "screen":
        database = scratch / f"{case.name}.db"
        database.unlink(missing_ok=True)
        arguments += ["--db", str(database)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            ["/usr/bin/time", "-v", *arguments], capture_output=True, text=True,
            timeout=CASE_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return float("nan"), time.perf_counter() - started, "HUNG (killed)"
    seconds = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    last = f"exit {done.returncode}: " + (lines[-1].strip() if lines else "")
    return (int(peak.group(1)) / 1024 if peak else float("nan")), seconds, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=COMMANDS, action="append")
    parser.add_argument("--case", help="Only the cases whose name holds this text.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="input-doors-") as folder:
        scratch = Path(folder)
        for name, make in CASES.items():
            if args.case is not None and args.case not in name:
                continue
            case = make(scratch)
            for command in args.command or COMMANDS:
                peak, seconds, last = run(command, case, scratch)
                print(f"{command:8s} {peak:8.0f} MB {seconds:7.1f} s  {name}  [{last[:90]}]")


if __name__ == "__main__":
    main()
