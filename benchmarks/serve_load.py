"""``supercon3d serve`` under load, on loopback only.

    python benchmarks/serve_load.py [--requests 20] [--files 10] [--repeats 5]
                                    [--browse-rows 1000000] [--timeout 1800] [--browse-only]

1. Load: one server (``supercon3d serve`` in its own process, 127.0.0.1, a free port);
   ``--requests`` concurrent ``POST /api/predict`` uploads of ``--files`` SuperCon3D CIFs
   each. Every request must be answered 200 with one record per file, in order, equal to
   the first answer's (none lost, none mixed up); reported: wall time, p50/p95 latency (s)
   and the server's peak memory (RSS of its process tree, sampled every 0.2 s).
2. One CIF through the page vs the library: median over ``--repeats`` of ``POST
   /api/predict`` with one CIF (server idle, models loaded) against ``api.predict`` of the
   same file in this process (models loaded, one worker as the server uses). Target ≤ 1.5x.
3. Browsing: a synthetic screening database of ``--browse-rows`` rows (0 skips it); the
   time of ``GET /api/databases/0/rows`` (a page of 50, with the total count) sorted by Tc,
   filtered, and deep in the table (the first request reads the columns into memory: timed
   apart). Target: under 200 ms a page. ``--browse-only`` runs this part alone.

Nothing leaves the machine: the server binds 127.0.0.1 and the client talks only to it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from supercon3d import api
from supercon3d.machine import describe_machine
from supercon3d.screening.database import COLUMNS, ScreenDatabase
from supercon3d.settings import dataset_path

HOST = "127.0.0.1"
SAMPLE_SEED = 0
MEMORY_POLL_S = 0.2
STARTUP_TIMEOUT_S = 600
RATIO_TARGET = 1.5
PAGE_TARGET_MS = 200.0
BROWSE_BATCH = 50_000
PAGE_TRIES = 5
"""Each page is asked this many times; the best time counts (the machine is shared)."""
FAMILIES = ("cuprate", "iron-based", "heavy-Fermion", "h_based", "other")
CLASSES = ("O", "SD", "PD", "SPD")
FORMULAS = ("CuO", "BaCuO2", "FeSe", "LaH10", "NbTi", "MgB2", "YBa2Cu3O7", "CoO")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """``supercon3d serve`` in a subprocess on loopback, its peak memory sampled."""

    def __init__(self, databases: list[Path]):
        self.port = free_port()
        command = [sys.executable, "-m", "supercon3d", "serve", "--host", HOST,
                   "--port", str(self.port)]  # fmt: skip
        for db in databases:
            command += ["--db", str(db)]
        self.process = subprocess.Popen(command)
        self.url = f"http://{HOST}:{self.port}"
        self.peak_bytes = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        process = psutil.Process(self.process.pid)
        while not self._stop.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                self.peak_bytes = max(self.peak_bytes, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(MEMORY_POLL_S)

    def wait_ready(self) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < STARTUP_TIMEOUT_S:
            if self.process.poll() is not None:
                raise SystemExit("the server stopped while starting")
            try:
                if httpx.get(self.url + "/api/databases", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                time.sleep(0.5)
        raise SystemExit(f"the server did not answer within {STARTUP_TIMEOUT_S} s")

    def stop(self) -> None:
        self._stop.set()
        self.process.terminate()
        self.process.wait(30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(url: str, cifs: list[Path], requests: int, timeout: float) -> None:
    files = [("files", (path.name, path.read_bytes())) for path in cifs]
    latencies: list[float] = []

    async def one(client: httpx.AsyncClient) -> list[dict]:
        begun = time.perf_counter()
        answer = await client.post(url + "/api/predict", files=files)
        latencies.append(time.perf_counter() - begun)
        answer.raise_for_status()
        return answer.json()

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout) as client:
        answers = await asyncio.gather(*(one(client) for _ in range(requests)),
                                       return_exceptions=True)  # fmt: skip
    wall = time.perf_counter() - started
    failed = [a for a in answers if isinstance(a, BaseException)]
    good = [a for a in answers if not isinstance(a, BaseException)]
    reference = [(r["file"], r.get("tc_kelvin"), r.get("error")) for r in good[0]] if good else []
    correct = sum(
        [(r["file"], r.get("tc_kelvin"), r.get("error")) for r in a] == reference
        and [r["file"] for r in a] == [p.name for p in cifs]
        for a in good
    )
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(f"1. {requests} concurrent uploads of {len(cifs)} CIFs: {len(good)} answered 200, "
          f"{correct} correct and complete, {len(failed)} failed; wall {wall:.1f} s, "
          f"latency p50 {p50:.1f} s, p95 {p95:.1f} s, "
          f"{requests * len(cifs) / wall:.2f} structures/s")  # fmt: skip
    for error in failed[:3]:
        print(f"   failed: {error!r}")


def page_vs_library(url: str, cif: Path, repeats: int) -> None:
    api.predict([cif], workers=1)  # loads the models here
    library, page = [], []
    for _ in range(repeats):
        begun = time.perf_counter()
        api.predict([cif], workers=1)
        library.append(time.perf_counter() - begun)
        begun = time.perf_counter()
        answer = httpx.post(url + "/api/predict", files={"files": (cif.name, cif.read_bytes())},
                            timeout=STARTUP_TIMEOUT_S)  # fmt: skip
        answer.raise_for_status()
        page.append(time.perf_counter() - begun)
    page_s, library_s = statistics.median(page), statistics.median(library)
    verdict = "met" if page_s / library_s <= RATIO_TARGET else "NOT met"
    print(f"2. one CIF ({cif.name}), median of {repeats}: page {page_s:.2f} s, "
          f"library {library_s:.2f} s, ratio {page_s / library_s:.2f} "
          f"(target <= {RATIO_TARGET}: {verdict})")  # fmt: skip


def synthetic_database(path: Path, rows: int) -> None:
    """``rows`` random screening rows (seeded), written in batches."""
    rng = random.Random(SAMPLE_SEED)
    identity = {"schema": "benchmark", "package_version": "0", "model": "none"}
    with ScreenDatabase.open(path, identity) as database:
        for start in range(0, rows, BROWSE_BATCH):
            batch = []
            for i in range(start, min(rows, start + BROWSE_BATCH)):
                p, tc = rng.random(), rng.lognormvariate(2, 1)
                batch.append({
                    "id": f"s{i:07d}", "source": "synthetic", "name": f"s{i:07d}.cif",
                    "sha256": f"{i:064x}", "reduced_formula": rng.choice(FORMULAS),
                    "family": rng.choice(FAMILIES), "disorder_class": rng.choice(CLASSES),
                    "stage": 2 if p > 0.9 else 1, "p_superconductor": p, "tc_kelvin": tc,
                    "reported_tc_kelvin": tc if rng.random() < 0.1 else None,
                })  # fmt: skip
            database.write([{column: row.get(column) for column in COLUMNS} for row in batch])


def browse_pages(url: str, rows: int) -> None:
    begun = time.perf_counter()
    httpx.get(url + "/api/databases/0/rows", params={"limit": 1}, timeout=600).raise_for_status()
    print(f"3. {rows:,}-row database: first request (reads the columns) "
          f"{time.perf_counter() - begun:.1f} s")  # fmt: skip
    queries = {
        "first page by Tc": {"sort": "tc_kelvin"},
        "by P(SC), cuprates, P >= 0.5": {
            "sort": "p_superconductor",
            "family": "cuprate",
            "p_min": 0.5,
        },  # fmt: skip
        "with Cu, without Ba, novel": {"elements": "Cu", "without": "Ba", "known": "novel"},
        "page at offset 500,000": {"sort": "tc_kelvin", "offset": 500_000},
    }
    for name, params in queries.items():
        times = []
        for _ in range(PAGE_TRIES):
            begun = time.perf_counter()
            answer = httpx.get(url + "/api/databases/0/rows", params=params, timeout=600)
            answer.raise_for_status()
            times.append(1000 * (time.perf_counter() - begun))
        best = min(times)
        print(f"3. {rows:,}-row database, {name}: {best:.0f} ms (best of {PAGE_TRIES}; total "
              f"{answer.json()['total']:,}; target < {PAGE_TARGET_MS:.0f} ms: "
              f"{'met' if best < PAGE_TARGET_MS else 'NOT met'})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browse-rows", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=1800.0, help="Per request (s).")
    parser.add_argument("--browse-only", action="store_true")
    args = parser.parse_args()
    print(describe_machine())
    cifs = sorted(dataset_path("supercon3d/cif").glob("*.cif"))
    cifs = random.Random(SAMPLE_SEED).sample(cifs, args.files)
    with tempfile.TemporaryDirectory() as folder:
        databases = []
        if args.browse_rows:
            begun = time.perf_counter()
            databases.append(Path(folder) / "synthetic.sqlite")
            synthetic_database(databases[0], args.browse_rows)
            print(
                f"wrote a {args.browse_rows:,}-row database in {time.perf_counter() - begun:.0f} s"
            )
        server = Server(databases)
        try:
            print(f"server ready in {server.wait_ready():.0f} s (models loaded)")
            if not args.browse_only:
                asyncio.run(load(server.url, cifs, args.requests, args.timeout))
                print(f"   server peak memory {server.peak_bytes / 2**30:.2f} GiB")
                page_vs_library(server.url, cifs[0], args.repeats)
            if args.browse_rows:
                browse_pages(server.url, args.browse_rows)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
