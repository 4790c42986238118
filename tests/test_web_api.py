"""The JSON API of ``supercon3d serve`` through the framework's test client: every endpoint,
bad uploads, the limits, the access token, read-only databases and run folders."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import p1_cif
from supercon3d import api
from supercon3d.screening.database import STAGE_COMPOSITION, STAGE_STRUCTURE, ScreenDatabase
from supercon3d.web.app import create_app
from supercon3d.web.security import TOKEN_COOKIE
from supercon3d.web.serve import ServeError, serve_settings
from supercon3d.web.settings import ServeSettings

BAD_CIFS = Path(__file__).parent / "cifs" / "bad"
NB = p1_cif(3.3, [("Nb", 0, 0, 0, 1), ("Nb", 0.5, 0.5, 0.5, 1)])
"""bcc Nb: ordered."""
MIXED = p1_cif(
    4.1,
    [
        ("Ba", 0, 0, 0, 0.6),
        ("Sr", 0, 0, 0, 0.4),
        ("Ti", 0.5, 0.5, 0.5, 1),
        ("O", 0.5, 0.5, 0, 1),
        ("O", 0.5, 0, 0.5, 1),
        ("O", 0, 0.5, 0.5, 0.9),
    ],
)
"""A perovskite with a mixed A site and an oxygen vacancy: disordered."""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


def _screen_database(path: Path, cif: Path) -> Path:
    """A small screening database: three rows, one with the CIF file ``cif`` as source."""
    base = {"n_sites": 2, "n_warnings": 0, "stage": STAGE_COMPOSITION, "error": None}
    rows = [
        {**base, "id": str(cif), "source": str(cif), "name": cif.name, "sha256": "a",
         "reduced_formula": "Nb", "formula": "Nb2", "disorder_class": "O", "family": "other",
         "stage": STAGE_STRUCTURE, "p_superconductor": 0.9, "tc_kelvin": 9.0,
         "reported_tc_kelvin": 9.2, "known_superconductor": True},
        {**base, "id": "x.zip::CuO.cif", "source": "x.zip", "name": "CuO.cif", "sha256": "b",
         "reduced_formula": "CuO", "formula": "Cu1 O1", "disorder_class": "SD",
         "family": "cuprate", "p_superconductor": 0.6, "tc_kelvin": 30.0},
        {**base, "id": "y.cif", "source": "y.cif", "name": "y.cif", "sha256": "c",
         "reduced_formula": "CoO", "formula": "Co1 O1", "disorder_class": "O",
         "family": "other", "p_superconductor": 0.1, "tc_kelvin": 2.0},
    ]  # fmt: skip
    identity = {"schema": "test", "package_version": "0", "model": "test"}
    with ScreenDatabase.open(path, identity) as database:
        database.write(rows)
    return path


def _run_folder(runs: Path, name: str) -> Path:
    """A finished discovery run folder as ``discover`` leaves it (record, table, report)."""
    folder = runs / name
    folder.mkdir(parents=True)
    stages = [{"name": "sources", "n_in": 12, "n_out": 10, "seconds": 1.0, "dropped": {}},
              {"name": "unique", "n_in": 5, "n_out": 2, "seconds": 1.0, "dropped": {}}]  # fmt: skip
    record = {"stages": stages, "finished": True, "counts": {"ordered": 1}, "settings": {}}
    (folder / "run.json").write_text(json.dumps(record))
    (folder / "candidates_ordered.csv").write_text("candidate,formula,tc_kelvin\nc1,Nb,9.5\n")
    (folder / "report.html").write_text("<html><body>report of the run</body></html>")
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    cif = root / "nb.cif"
    cif.write_text(NB)
    db = _screen_database(root / "screen.sqlite", cif)
    runs = root / "runs"
    _run_folder(runs, "finished-run")
    return {"root": root, "cif": cif, "db": db, "runs": runs}


@pytest.fixture(scope="module")
def client(folders, one_torch_thread):
    """The app with the shipped models loaded (once for the module)."""
    settings = ServeSettings(databases=(folders["db"],), runs=folders["runs"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def light(folders):
    """An app without models, with small limits and an access token: the request checks."""
    settings = ServeSettings(
        databases=(folders["db"],), runs=folders["runs"], token="secret-token", max_files=3,
        max_request_bytes=20_000, load_models=False,
    )  # fmt: skip
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_predict_gives_the_records_of_predict_out(client, folders):
    """Two CIFs: one record each, in order, equal to the library's records of the same file."""
    answer = client.post(
        "/api/predict",
        files=[("files", ("nb.cif", NB.encode())), ("files", ("mixed.cif", MIXED.encode()))],
    )
    assert answer.status_code == 200
    nb, mixed = answer.json()
    assert nb["file"] == "nb.cif" and mixed["file"] == "mixed.cif"
    assert nb["disorder_class"] == "O" and mixed["disorder_class"] != "O"
    (library,) = api.predict([folders["cif"]], workers=1)
    expected = {**library.to_dict(), "file": "nb.cif"}
    assert nb.keys() == expected.keys()
    for key, value in expected.items():
        assert nb[key] == (pytest.approx(value) if isinstance(value, float) else value), key
    assert nb["tc_low_kelvin"] <= nb["tc_kelvin"] <= nb["tc_high_kelvin"]


def test_bad_uploads_are_error_rows_and_the_others_still_predicted(client):
    """Empty file, PNG named .cif, 0.05 Å cell, zip with ../ names: one error row each,
    status 200, and the good CIF beside them is predicted."""
    evil = _zip({"../../etc/evil.cif": NB.encode(), "/abs.cif": NB.encode(),
                 "ok/nb.cif": NB.encode(), "notes.txt": b"hello"})  # fmt: skip
    files = [
        ("files", ("empty.cif", b"")),
        ("files", ("image.cif", PNG)),
        ("files", ("tiny.cif", (BAD_CIFS / "cell_0.05_angstrom.cif").read_bytes())),
        ("files", ("../../secret/evil.zip", evil)),
        ("files", ("good.cif", NB.encode())),
    ]
    answer = client.post("/api/predict", files=files)
    assert answer.status_code == 200
    records = {record["file"]: record for record in answer.json()}
    assert list(records) == ["empty.cif", "image.cif", "tiny.cif", "evil.zip/evil.cif",
                             "evil.zip/abs.cif", "evil.zip/nb.cif", "evil.zip/notes.txt",
                             "good.cif"]  # fmt: skip
    assert records["empty.cif"]["error"] == "empty.cif: empty file"
    assert "binary" in records["image.cif"]["error"]
    assert "0.05" in records["tiny.cif"]["error"] and "/tmp" not in records["tiny.cif"]["error"]
    assert "unsafe path" in records["evil.zip/evil.cif"]["error"]
    assert "unsafe path" in records["evil.zip/abs.cif"]["error"]
    assert "not a CIF" in records["evil.zip/notes.txt"]["error"]
    assert "error" not in records["evil.zip/nb.cif"] and "error" not in records["good.cif"]
    for record in records.values():
        assert set(record) == {"file", "error"} or "tc_kelvin" in record


def test_structure_view_has_sites_attention_and_partial_occupancy(client):
    answer = client.post("/api/structure", files={"file": ("mixed.cif", MIXED.encode())})
    assert answer.status_code == 200
    view = answer.json()
    assert view["error"] is None and view["cif"] == MIXED
    assert len(view["lattice"]) == 3 and view["lattice"][0][0] == pytest.approx(4.1)
    assert len(view["sites"]) == 5
    assert view["sites"][0]["species"] == {"Ba": 0.6, "Sr": 0.4}
    assert sum(s["importance_percent"] for s in view["sites"]) == pytest.approx(100, abs=0.1)


def test_structure_view_of_a_refused_file_says_why(client):
    view = client.post("/api/structure", files={"file": ("a.cif", b"")}).json()
    assert view["error"] == "empty file" and view["sites"] == []


def test_export_writes_csv_and_json(client):
    records = [{"file": "a.cif", "formula": "Nb", "tc_kelvin": 9.0, "warnings": ["w1", "w2"]},
               {"file": "b.cif", "error": "b.cif: empty file"}]  # fmt: skip
    csv = client.post("/api/predict/export?format=csv", json=records)
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0].split(",")[:3] == ["file", "formula", "tc_kelvin"]
    assert "w1 | w2" in lines[1] and "b.cif: empty file" in lines[2]
    assert client.post("/api/predict/export?format=json", json=records).json() == records
    assert client.post("/api/predict/export?format=xml", json=records).status_code == 422


def test_limits_answer_one_clear_line(light):
    headers = {"authorization": "Bearer secret-token"}
    many = [("files", (f"{i}.cif", NB.encode())) for i in range(4)]
    answer = light.post("/api/predict", files=many, headers=headers)
    assert answer.status_code == 413 and "at most 3" in answer.json()["detail"]
    big = [("files", ("big.cif", b"x" * 30_000))]
    answer = light.post("/api/predict", files=big, headers=headers)
    assert answer.status_code == 413 and "too large" in answer.json()["detail"]
    members = _zip({f"{i}.cif": NB.encode() for i in range(5)})
    answer = light.post("/api/predict", files=[("files", ("m.zip", members))], headers=headers)
    assert answer.status_code == 413 and "too many structures" in answer.json()["detail"]


def test_the_token_is_required_off_loopback(light):
    light.cookies.clear()  # a token cookie from an earlier request
    assert light.get("/api/databases").status_code == 401
    assert light.get("/").status_code == 401
    assert light.get("/api/databases", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert light.get("/api/databases", headers={"authorization": "Bearer secret-token"}).is_success
    page = light.get("/?token=secret-token")
    assert page.status_code == 200 and TOKEN_COOKIE in page.headers["set-cookie"]
    assert light.get("/api/databases").status_code == 200  # the cookie now carries it
    light.cookies.clear()


def test_serve_settings_bind_loopback_without_token_and_others_with_one(tmp_path):
    assert serve_settings(host="127.0.0.1").token is None
    assert serve_settings(host="::1").token is None
    generated = serve_settings(host="0.0.0.0").token
    assert generated and len(generated) >= 32
    assert serve_settings(host="0.0.0.0").token != generated
    with pytest.raises(ServeError, match="no such database"):
        serve_settings([tmp_path / "missing.sqlite"])


def test_page_and_static_files_are_served_without_internet(client):
    page = client.get("/")
    assert page.status_code == 200 and "supercon3d" in page.text
    assert "http://" not in page.text.replace("http://testserver", "")
    assert "https://" not in page.text
    for name in ("app.js", "viewer.js", "app.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_openapi_lists_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/predict",
        "/api/predict/export",
        "/api/structure",
        "/api/databases",
        "/api/databases/{index}/rows",
        "/api/databases/{index}/export",
        "/api/databases/{index}/report",
        "/api/databases/{index}/structure",
        "/api/runs",
        "/api/runs/{name}",
        "/api/runs/{name}/candidates/{table}",
    ):
        assert path in paths, path


def test_database_rows_filter_sort_and_page(client):
    assert client.get("/api/databases").json()[0]["rows"] == 3
    page = client.get("/api/databases/0/rows", params={"sort": "tc_kelvin"}).json()
    assert [r["reduced_formula"] for r in page["rows"]] == ["CuO", "Nb", "CoO"]
    assert page["total"] == 3
    page = client.get(
        "/api/databases/0/rows", params={"sort": "p_superconductor", "descending": "false"}
    ).json()
    assert [r["reduced_formula"] for r in page["rows"]] == ["CoO", "CuO", "Nb"]
    page = client.get("/api/databases/0/rows", params={"offset": 1, "limit": 1}).json()
    assert [r["reduced_formula"] for r in page["rows"]] == ["Nb"] and page["total"] == 3
    queries = [
        ({"family": "cuprate"}, ["CuO"]),
        ({"disorder_class": ["O"]}, ["Nb", "CoO"]),
        ({"stage": 2}, ["Nb"]),
        ({"p_min": 0.5, "tc_max": 20}, ["Nb"]),
        ({"elements": "O", "without": "Cu"}, ["CoO"]),
        ({"elements": "C"}, []),  # C is not Co or Cu
        ({"known": "known"}, ["Nb"]),
        ({"known": "novel"}, ["CuO", "CoO"]),
    ]
    for params, expected in queries:
        rows = client.get("/api/databases/0/rows", params=params).json()["rows"]
        assert [r["reduced_formula"] for r in rows] == expected, params
    page = client.get("/api/databases/0/rows", params={"sort": "name", "descending": False})
    assert [r["name"] for r in page.json()["rows"]] == ["CuO.cif", "nb.cif", "y.cif"]
    assert client.get("/api/databases/0/rows", params={"sort": "nope"}).status_code == 400
    assert client.get("/api/databases/7/rows").status_code == 404


def test_database_export_report_and_structure(client, folders):
    csv = client.get("/api/databases/0/export", params={"elements": "O"})
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 3
    report = client.get("/api/databases/0/report", params={"top": 2}).json()
    assert [row["reduced_formula"] for row in report] == ["Nb", "CuO"]
    assert report == api.screen_report(folders["db"], 2)
    view = client.get("/api/databases/0/structure", params={"id": str(folders["cif"])}).json()
    assert view["error"] is None and len(view["sites"]) == 2 and view["row"]["formula"] == "Nb2"
    view = client.get("/api/databases/0/structure", params={"id": "y.cif"}).json()
    assert "source" in view["error"] and view["sites"] == []
    assert client.get("/api/databases/0/structure", params={"id": "nope"}).status_code == 404


@pytest.fixture(scope="module")
def screened(tmp_path_factory, one_torch_thread):
    """A database screened by the library from a 2-row CSV of CIF text and a 2-frame extxyz,
    and the app serving it."""
    import ase.io
    from ase.build import bulk

    root = tmp_path_factory.mktemp("screened")
    table = root / "cells.csv"
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"material_id": ["nb-1", "mixed-2"], "cif": [NB, MIXED]}).to_csv(
        table, index=False
    )
    frames = root / "frames.extxyz"
    ase.io.write(frames, [bulk("Nb", "bcc", a=3.3, cubic=True), bulk("Cu", "fcc", a=3.6)])
    db = root / "screen.sqlite"
    api.screen([table, frames], db, workers=1)
    with TestClient(create_app(ServeSettings(databases=(db,)))) as test_client:
        yield {"client": test_client, "csv": table, "extxyz": frames}


def test_database_structure_of_a_csv_cell(screened):
    row_id = f"{screened['csv']}::mixed-2"
    view = screened["client"].get("/api/databases/0/structure", params={"id": row_id}).json()
    assert view["error"] is None and view["row"]["id"] == row_id
    assert view["cif"] == MIXED and view["formula"] == view["row"]["reduced_formula"]
    assert len(view["sites"]) == 5  # the mixed A site (Ba, Sr), Ti and three O sites


def test_database_structure_of_an_ase_frame(screened):
    row_id = f"{screened['extxyz']}::1"
    view = screened["client"].get("/api/databases/0/structure", params={"id": row_id}).json()
    assert view["error"] is None and view["row"]["id"] == row_id
    assert view["formula"] == "Cu" and len(view["sites"]) == 1  # the fcc primitive cell
    lengths = [sum(x * x for x in vector) ** 0.5 for vector in view["lattice"]]
    assert lengths == pytest.approx([3.6 / 2**0.5] * 3, abs=1e-3)  # Å, as the frame was written


def test_databases_are_opened_read_only(light, folders):
    before = hashlib.sha256(folders["db"].read_bytes()).hexdigest()
    headers = {"authorization": "Bearer secret-token"}
    assert light.get("/api/databases/0/rows", headers=headers).status_code == 200
    assert hashlib.sha256(folders["db"].read_bytes()).hexdigest() == before


def test_runs_are_listed_compared_and_their_report_served(light, folders):
    headers = {"authorization": "Bearer secret-token"}
    (run,) = light.get("/api/runs", headers=headers).json()
    assert run["name"] == "finished-run" and run["status"] == "finished"
    assert run["sun_rate"] == pytest.approx(2 / 12) and run["counts"] == {"ordered": 1}
    table = light.get("/api/runs/finished-run/candidates/ordered", headers=headers).json()
    assert table == [{"candidate": "c1", "formula": "Nb", "tc_kelvin": 9.5}]
    report = light.get("/runs/finished-run/report.html", headers=headers)
    assert report.status_code == 200 and "report of the run" in report.text
    for bad in ("/runs/finished-run/..%2F..%2Fweb%2Fnb.cif", "/runs/finished-run/missing.html",
                "/api/runs/..%2Fx"):  # fmt: skip
        assert light.get(bad, headers=headers).status_code in (400, 404), bad
    assert light.post("/api/runs", json={"name": "../x"}, headers=headers).status_code == 400


def test_a_started_run_shows_its_stages_and_survives_a_reload(light, folders, monkeypatch):
    """``discover`` (replaced by a stand-in that writes a record and waits) runs in the
    background; listing the runs again shows it running, then finished."""
    import threading

    from supercon3d.web import runs as runs_module

    release = threading.Event()

    def fake_discover(out, *, quick, seed, log):
        _run_folder(Path(out).parent, Path(out).name) if not Path(out).exists() else None
        log(f"sources: 10 in, 10 kept (quick={quick}, seed={seed})")
        release.wait(10)

    monkeypatch.setattr(runs_module.api, "discover", fake_discover)
    headers = {"authorization": "Bearer secret-token"}
    started = light.post("/api/runs", json={"name": "bg", "quick": True, "seed": 3},
                         headers=headers)  # fmt: skip
    assert started.status_code == 202
    again = light.post("/api/runs", json={"name": "bg"}, headers=headers)
    assert again.status_code == 400 and "already running" in again.json()["detail"]
    run = light.get("/api/runs/bg", headers=headers).json()
    assert run["status"] == "running"
    release.set()
    light.app.state.server.jobs["bg"].thread.join(10)
    run = light.get("/api/runs/bg", headers=headers).json()
    assert run["status"] == "finished" and "seed=3" in run["log"][0]


def test_the_page_answers_while_the_model_thread_works(light):
    """With the model thread busy (held by a task), the page and the other endpoints still
    answer: predictions never run on the event loop."""
    import threading

    held, release = threading.Event(), threading.Event()

    def busy() -> None:
        held.set()
        release.wait(30)

    work = light.app.state.server.model_thread.submit(busy)
    try:
        assert held.wait(10)
        headers = {"authorization": "Bearer secret-token"}
        assert light.get("/", headers=headers).status_code == 200
        assert light.get("/api/databases", headers=headers).json()[0]["rows"] == 3
        assert not work.done()
    finally:
        release.set()
    work.result(10)


def test_the_browse_index_sees_rows_written_after_it_was_read(tmp_path):
    """A database still being written: a commit by another connection is seen next page."""
    from supercon3d.screening.browse import BrowseFilter, BrowseIndex

    cif = tmp_path / "nb.cif"
    cif.write_text(NB)
    path = _screen_database(tmp_path / "screen.sqlite", cif)
    browser = BrowseIndex(path)
    assert browser.page().total == 3
    identity = {"schema": "test", "package_version": "0", "model": "test"}
    with ScreenDatabase.open(path, identity) as database:
        database.write([{"id": "z.cif", "reduced_formula": "La1H10", "tc_kelvin": 250.0,
                         "stage": STAGE_COMPOSITION, "family": "h_based"}])  # fmt: skip
    page = browser.page(BrowseFilter(elements=("H",)))
    assert page.total == 1 and page.rows[0]["id"] == "z.cif"
    assert browser.page(limit=1).rows[0]["id"] == "z.cif"  # the highest Tc now
    browser.close()


def test_a_page_is_the_slice_of_the_full_order():
    """The ranks a page shows, found by partition, equal the same slice of a full stable sort
    (missing values last), ties and pages across them included."""
    import numpy as np

    from supercon3d.screening.browse import _ranked

    rng = np.random.default_rng(0)
    for n in (1, 7, 100, 1000):
        key = rng.integers(0, 5, n).astype(float)
        key[rng.random(n) < 0.2] = np.nan
        full = np.lexsort((np.arange(n), np.where(np.isnan(key), np.inf, key)))
        for start in range(0, n + 2, max(1, n // 13)):
            for count in (1, 3, 50):
                assert list(_ranked(key, start, count)) == list(full[start : start + count])
