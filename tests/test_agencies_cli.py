"""Agencies in the database (db.queries.agencies) and `tongdai agencies list|add|import|history`:
the site's agencies synced with history, CSV imports all or nothing, bad input refused with a
one-line message and exit code 2. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from config.agency_settings import AgencyData, Contact
from db import store
from db.queries import agencies as agency_db
from tests.harness.cli import cli
from tests.harness.site import make_site

HEADER = list(agency_db.CSV_COLUMNS)
GOOD_ROWS = [
    ["thoat_nuoc", "Công ty Thoát nước và Xử lý nước thải Đà Nẵng", "utility", "drainage", "", "Phan Văn Bình",
     "binh.pv@thoatnuoc.example.vn", "0905220101", "thoatnuoc", "yes"],
    ["thoat_nuoc", "", "", "", "", "Lê Thị Hằng", "hang.lt@thoatnuoc.example.vn", "0905220102", "", ""],
    ["ubnd_thanh_khe", "Ủy ban nhân dân quận Thanh Khê", "district", "urban_order admin", "thanh_khe",
     "Đỗ Văn Sơn", "son.dv@thanhkhe.example.vn", "0905220201", "thanhkhe", "yes"],
]


def _db(site):
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    return db


def _count(db, table: str) -> int:
    with db.connect() as conn:
        return conn.exec_driver_sql(f"select count(*) from {table}").scalar()


def _write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_sync_adds_updates_and_deactivates_with_history(tmp_path):
    site = make_site(tmp_path)
    db = _db(site)
    settings = site.agencies
    assert agency_db.sync(db, settings) == len(settings.agencies)  # one "agency added" row each
    assert agency_db.sync(db, settings) == 0  # nothing changed, nothing written
    assert [a.key for a in agency_db.every(db)] == sorted(a.key for a in settings.agencies)
    dawaco = agency_db.get(db, "dawaco")
    assert dawaco.active and dawaco.data() == settings.agency("dawaco")
    assert {c.name for c in dawaco.contacts} == {"Phạm Thị Hoa", "Võ Minh Tuấn"}

    # the site file changes: a new name, one contact gone, one changed, one agency dropped
    old = settings.agency("dawaco")
    changed = replace(old, name="Công ty Cổ phần Cấp nước Đà Nẵng", contacts=(
        replace(old.contacts[0], mobile="0905999999"),))
    rest = tuple(changed if a.key == "dawaco" else a for a in settings.agencies if a.key != "vnpt")
    agency_db.add(db, AgencyData("thoat_nuoc", "Công ty Thoát nước Đà Nẵng", "utility", ("drainage",), ()),
                  "cli:admin")
    assert agency_db.sync(db, replace(settings, agencies=rest)) == 4
    dawaco = agency_db.get(db, "dawaco")
    assert dawaco.name == "Công ty Cổ phần Cấp nước Đà Nẵng"
    assert [(c.name, c.mobile, c.active) for c in dawaco.contacts] == [
        ("Phạm Thị Hoa", "0905999999", True), ("Võ Minh Tuấn", "0905110402", False)]
    assert not agency_db.get(db, "vnpt").active  # kept (assignments name it), inactive
    assert agency_db.get(db, "thoat_nuoc").active  # added by hand: not the site file's to remove
    assert _count(db, "agencies") == len(settings.agencies) + 1

    steps = [(h.actor, h.what, h.before, h.after) for h in agency_db.history(db, "dawaco")]
    assert [s[:2] for s in steps] == [("site file", "agency added"), ("site file", "agency changed"),
                                      ("site file", "contact changed"), ("site file", "contact deactivated")]
    assert steps[1][2:] == ({"name": "Công ty Cổ phần Cấp nước Đà Nẵng (DAWACO)"},
                            {"name": "Công ty Cổ phần Cấp nước Đà Nẵng"})
    assert steps[2][2]["mobile"] == "0905110401" and steps[2][3]["mobile"] == "0905999999"
    assert [h.what for h in agency_db.history(db, "vnpt")] == ["agency added", "agency deactivated"]

    agency_db.sync(db, settings)  # listed again: active again, with its history
    assert agency_db.get(db, "vnpt").active
    assert agency_db.history(db, "vnpt")[-1].after == {"active": True}


def test_add_refuses_a_taken_key_and_bad_values(tmp_path):
    site = make_site(tmp_path)
    db = _db(site)
    agency_db.sync(db, site.agencies)
    with pytest.raises(agency_db.AgencyError, match="already exists"):
        agency_db.add(db, site.agencies.agency("vnpt"), "cli:admin")
    bad = AgencyData("x1", "X", "utility", ("water",), (), (Contact("A", "not-an-email", None, None, True),))
    with pytest.raises(agency_db.AgencyError, match="^email: must be an email address"):
        agency_db.add(db, bad, "cli:admin")
    assert agency_db.get(db, "x1") is None


def test_import_csv_all_or_nothing(tmp_path):
    site = make_site(tmp_path)
    db = _db(site)
    fields, areas = [f.key for f in site.fields], [a.key for a in site.areas]
    rows = [dict(zip(HEADER, r, strict=True)) for r in GOOD_ROWS]
    bad = [*rows, dict(rows[2], key="ubnd_lien_chieu", areas="lien_chieu", mobile="123", username="lienchieu")]
    with pytest.raises(agency_db.AgencyError) as e:
        agency_db.import_csv(db, bad, "cli:admin", fields, areas)
    assert str(e.value).startswith("row 5, column mobile: must be a Vietnamese mobile number")
    assert _count(db, "agencies") == 0 and _count(db, "agency_contacts") == 0 and _count(db, "agency_history") == 0

    assert agency_db.import_csv(db, rows, "cli:admin", fields, areas) == ["thoat_nuoc", "ubnd_thanh_khe"]
    tn = agency_db.get(db, "thoat_nuoc")
    assert [(c.name, c.head) for c in tn.contacts] == [("Phan Văn Bình", True), ("Lê Thị Hằng", False)]
    assert agency_db.get(db, "ubnd_thanh_khe").fields == ("urban_order", "admin")
    assert agency_db.import_csv(db, rows, "cli:admin", fields, areas)  # the same again: no change, no history
    assert len(agency_db.history(db, "thoat_nuoc")) == 1


@pytest.mark.parametrize("change, message", [
    (lambda r: r[0].update(fields="drainage weather"), "row 2, column fields: unknown field 'weather'"),
    (lambda r: r[2].update(areas="hue"), "row 4, column areas: unknown area 'hue'"),
    (lambda r: r[0].update(kind="ministry"), "row 2, column kind: must be one of"),
    (lambda r: r[0].update(key="Thoát nước"), "row 2, column key: must be a lower-case name"),
    (lambda r: r[1].update(email="hang@"), "row 3, column email: must be an email address"),
    (lambda r: r[1].update(head="yes"), "row 2, column head: agency 'thoat_nuoc' needs exactly one head"),
    (lambda r: r[1].update(head="maybe"), "row 3, column head: must be yes or no"),
    (lambda r: r[1].update(name="Công ty khác"), "row 3, column name: differs from row 2"),
    (lambda r: r[1].update(contact_name=""), "row 3, column contact_name: a contact needs a name"),
    (lambda r: r[0].pop("kind"), "row 2: no column 'kind'"),
])
def test_import_csv_refusals_name_row_and_column(change, message):
    rows = [dict(zip(HEADER, r, strict=True)) for r in GOOD_ROWS]
    change(rows)
    with pytest.raises(agency_db.AgencyError) as e:
        agency_db.agencies_from_rows(rows, ["drainage", "urban_order", "admin"], ["thanh_khe"])
    assert str(e.value).startswith(message), str(e.value)


def test_cli_list_add_import_history(tmp_path):
    site = make_site(tmp_path)
    out = cli(site, "agencies", "list").stdout
    assert out.splitlines()[0].split() == ["key", "name", "kind", "fields", "areas", "contacts"]
    assert "dawaco" in out and "Công ty Cổ phần Cấp nước Đà Nẵng (DAWACO)" in out and "head: Phạm Thị Hoa" in out

    added = cli(site, "agencies", "add", "--key", "cong_an_hai_chau", "--name", "Công an quận Hải Châu",
                "--kind", "police", "--fields", "traffic,urban_order", "--areas", "hai_chau",
                "--contact-name", "Vũ Đức Anh", "--email", "anh.vd@congan.example.vn", "--mobile", "0905330101")
    assert "agency cong_an_hai_chau (Công an quận Hải Châu) added" in added.stdout
    csv_file = _write_csv(tmp_path / "agencies.csv", GOOD_ROWS)
    assert "2 agencies imported" in cli(site, "agencies", "import", str(csv_file)).stdout
    listed = cli(site, "agencies", "list").stdout
    assert "cong_an_hai_chau" in listed and "thoat_nuoc" in listed and "ubnd_thanh_khe" in listed

    history = cli(site, "agencies", "history", "cong_an_hai_chau").stdout.splitlines()
    assert len(history) == 1 and "agency added" in history[0] and "Vũ Đức Anh" in history[0]
    assert "site file  agency added" in cli(site, "agencies", "history", "dawaco").stdout

    db = store.connect(site.paths.database_url)
    assert agency_db.get(db, "cong_an_hai_chau").areas == ("hai_chau",)


@pytest.mark.parametrize("args, message", [
    (["add", "--key", "x", "--name", "X", "--kind", "utility", "--fields", "weather"], "fields: unknown field"),
    (["add", "--key", "vnpt", "--name", "X", "--kind", "utility", "--fields", "telecom"], "already exists"),
    (["add", "--key", "x", "--name", "X", "--kind", "utility", "--fields", "water", "--email", "a@b"],
     "contact_name: must be 1-128"),
    (["import", "/nonexistent/agencies.csv"], "no such file"),
    (["history", "nobody"], "no agency 'nobody'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    site = make_site(tmp_path)
    done = cli(site, "agencies", *args, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr


def test_cli_import_bad_row_writes_nothing(tmp_path):
    site = make_site(tmp_path)
    bad = [*GOOD_ROWS, ["ubnd_lien_chieu", "UBND quận Liên Chiểu", "district", "admin", "lien_chieu", "Hà Văn Tú",
                        "tu@example.vn", "0905220301", "", "maybe"]]
    done = cli(site, "agencies", "import", str(_write_csv(tmp_path / "bad.csv", bad)), check=False)
    assert done.returncode == 2 and "row 5, column head: must be yes or no" in done.stderr, done.stderr
    db = store.connect(site.paths.database_url)
    assert agency_db.get(db, "thoat_nuoc") is None and agency_db.get(db, "ubnd_lien_chieu") is None
