"""The site's agencies as data: the demo set loads, every bad value is refused naming the file
and the dotted key, and routing suggests the right agency."""
from __future__ import annotations

import copy
import tomllib

import pytest

from agencies.routing import can_handle, suggest
from config import DEMO_SITE, ConfigError, load_site
from config.agencies_file import read_agencies_data
from config.agency_settings import AgencySettings, Deadline, parse_deadline
from config.site_file import site_from_dict
from tests.harness.site import make_site

SITE = load_site(DEMO_SITE)
DATA_FILE = DEMO_SITE.with_name("demo-agencies.toml")
DATA = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_demo_site_ships_agencies_for_every_field_and_area():
    a = SITE.agencies
    assert 8 <= len(a.agencies) <= 12
    assert {f.key for f in SITE.fields} <= {f for ag in a.agencies for f in ag.fields}
    for area in SITE.areas:  # every district has someone for every field
        for f in SITE.fields:
            assert suggest(a, f.key, area.key), (f.key, area.key)
    for ag in a.agencies:
        assert ag.contacts and sum(c.head for c in ag.contacts) == 1
        assert all(c.email and c.email.endswith("example.vn") for c in ag.contacts)
    assert a.agency("dawaco").name.startswith("Công ty Cổ phần Cấp nước Đà Nẵng")
    assert a.office_hours == ((450, 690), (810, 1020)) and a.office_days == (0, 1, 2, 3, 4)
    assert a.link_hours == 72


def test_a_copied_demo_site_still_finds_the_demo_agencies(tmp_path):
    site = make_site(tmp_path)
    assert site.agencies == SITE.agencies


def test_no_agencies_table_means_no_agencies(tmp_path):
    data = tomllib.loads(DEMO_SITE.read_text(encoding="utf-8"))
    del data["agencies"]
    data["site"]["ivr"] = str(DEMO_SITE.with_name("demo-ivr.toml"))
    assert site_from_dict(tmp_path / "s.toml", data).agencies == AgencySettings()


@pytest.mark.parametrize("text, expected", [
    ("3 working days", Deadline(3, "working_days")), ("1 working day", Deadline(1, "working_days")),
    ("8 working hours", Deadline(8, "working_hours")), ("4 hours", Deadline(4, "hours")),
    ("3 ngày làm việc", Deadline(3, "working_days")), ("8 giờ làm việc", Deadline(8, "working_hours")),
    ("4 giờ", Deadline(4, "hours")), ("soon", None), ("0 hours", None), ("-1 hours", None), ("3 days", None)])
def test_deadline_texts(text, expected):
    assert parse_deadline(text) == expected


def _agency(data, key):
    return next(a for a in data["agencies"] if a["key"] == key)


def _change_policy(d):
    d["policies"][2]["deadline"] = "soon"


def _dup_key(d):
    d["agencies"][1]["key"] = d["agencies"][0]["key"]


def _no_agency_for_field(d):
    _agency(d, "vnpt")["fields"] = ["electricity"]
    d["routes"] = [r for r in d["routes"] if r["field"] != "telecom"]


REFUSALS = [
    (_change_policy, "policies[2].deadline", 'must be like "3 working days", "8 working hours" or "4 hours", '
                                             "got 'soon'"),
    (lambda d: d["agencies"][0]["fields"].append("weather"), "agencies[0].fields", "unknown field 'weather'"),
    (lambda d: d["agencies"][7]["areas"].append("hue"), "agencies[7].areas", "unknown area 'hue'"),
    (lambda d: d["agencies"][0].update(kind="ministry"), "agencies[0].kind", "must be one of department"),
    (lambda d: d["agencies"][0].update(key="Sở XD"), "agencies[0].key", "must be a lower-case name"),
    (lambda d: d["agencies"][0].update(colour="red"), "agencies[0].colour", "unknown key"),
    (_dup_key, "agencies[1].key", "duplicate agency 'so_xay_dung'"),
    (lambda d: d["routes"][0].update(agency="nobody"), "routes[0].agency", "unknown agency 'nobody'"),
    (lambda d: d["routes"][0].update(field="water"), "routes[0].agency", "'so_xay_dung' does not handle field 'water'"),
    (lambda d: d["routes"][9].update(area="son_tra"), "routes[9].agency", "'ubnd_hai_chau' does not cover area"),
    (lambda d: d["routes"][9].update(area="*"), "routes[9].area", "needs an agency covering the whole province"),
    (lambda d: d["routes"].append(dict(d["routes"][0])), "routes[15]", "a second route for field 'lighting'"),
    (lambda d: d["policies"].append({"field": "lighting", "deadline": "1 hours"}), "policies[8]",
     "a second policy for field 'lighting'"),
    (lambda d: d["policies"].append({"field": "water", "agency": "vnpt", "deadline": "1 hours"}),
     "policies[8].agency", "'vnpt' does not handle field 'water'"),
    (lambda d: d["policies"].append({"field": "rain", "deadline": "1 hours"}), "policies[8].field",
     "unknown field 'rain'"),
    (_no_agency_for_field, "agencies", "every field needs at least one agency: none handles 'telecom'"),
    (lambda d: d["agencies"][0]["contacts"][0].update(email="hung at example"), "agencies[0].contacts[0].email",
     "must be an email address"),
    (lambda d: d["agencies"][0]["contacts"][0].update(mobile="12345"), "agencies[0].contacts[0].mobile",
     "must be a Vietnamese mobile number"),
    (lambda d: d["agencies"][0]["contacts"][1].update(head=True), "agencies[0].contacts", "exactly one contact"),
    (lambda d: d["agencies"][0]["contacts"][1].update(username="soxd_hung"), "agencies[0].contacts[1].username",
     "duplicate username"),
    (lambda d: d["agencies"][0]["contacts"][1].pop("email") and d["agencies"][0]["contacts"][1].pop("mobile"),
     "agencies[0].contacts[1].email", "needs an email address or a mobile number"),
    (lambda d: d.update(default_deadline="forever"), "default_deadline", "must be like"),
    (lambda d: d.update(routes={"field": "x"}), "routes", "must be an array of tables"),
]


@pytest.mark.parametrize("change, key, message", REFUSALS, ids=[r[1] + ":" + r[2][:20] for r in REFUSALS])
def test_each_refusal_names_the_agencies_file_and_key(tmp_path, change, key, message):
    data = copy.deepcopy(DATA)
    change(data)
    path = tmp_path / "bad-agencies.toml"
    with pytest.raises(ConfigError) as e:
        read_agencies_data(path, data, SITE.fields, SITE.areas)
    assert e.value.key == key and e.value.file == str(path)
    assert str(e.value).startswith(f"{path}: {key}: ") and message in str(e.value), str(e.value)


def test_an_error_in_the_agencies_file_names_that_file_through_the_site(tmp_path):
    (tmp_path / "my-agencies.toml").write_text(
        DATA_FILE.read_text(encoding="utf-8").replace('deadline = "4 hours"', 'deadline = "soon"'), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        make_site(tmp_path, agencies={"file": "my-agencies.toml"})
    assert str(e.value) == (f"{tmp_path / 'my-agencies.toml'}: policies[1].deadline: must be like "
                            '"3 working days", "8 working hours" or "4 hours", got \'soon\'')


@pytest.mark.parametrize("values, key", [
    ({"file": "missing.toml"}, "agencies.file"),
    ({"office_hours": ["07:30-11:30", "11:00-17:00"]}, "agencies.office_hours"),
    ({"office_hours": ["7-11"]}, "agencies.office_hours"),
    ({"office_days": ["mon", "funday"]}, "agencies.office_days"),
    ({"link_hours": 0}, "agencies.link_hours"),
    ({"colour": "red"}, "agencies.colour"),
])
def test_site_agencies_table_refusals(tmp_path, values, key):
    with pytest.raises(ConfigError) as e:
        make_site(tmp_path, agencies=values)
    assert e.value.key == key and e.value.file == str(tmp_path / "site.toml"), str(e.value)


def test_office_hours_are_settable(tmp_path):
    site = make_site(tmp_path, agencies={"office_hours": ["08:00-12:00"], "office_days": ["mon", "sat"]})
    assert site.agencies.office_hours == ((480, 720),) and site.agencies.office_days == (0, 5)


def test_routing_exact_route_then_any_area_then_other_agencies():
    a = SITE.agencies
    assert [x.key for x in suggest(a, "urban_order", "hai_chau")] == ["ubnd_hai_chau", "so_xay_dung"]
    assert [x.key for x in suggest(a, "urban_order", "thanh_khe")] == ["so_xay_dung"]
    assert [x.key for x in suggest(a, "admin", "son_tra")] == ["ubnd_son_tra", "trung_tam_hcc"]
    assert [x.key for x in suggest(a, "lighting", "hoa_vang")] == ["so_xay_dung"]
    assert [x.key for x in suggest(a, "admin", None)][0] == "trung_tam_hcc"
    assert suggest(a, "weather", "hai_chau") == []


def test_routing_falls_back_to_agencies_handling_the_field():
    a = SITE.agencies
    bare = AgencySettings(agencies=a.agencies)  # no routes at all
    assert {x.key for x in suggest(bare, "admin", "hai_chau")} == {"ubnd_hai_chau", "trung_tam_hcc"}


def test_can_handle():
    a = SITE.agencies
    hai_chau = a.agency("ubnd_hai_chau")
    assert can_handle(hai_chau, "admin", "hai_chau")
    assert not can_handle(hai_chau, "admin", "son_tra")
    assert not can_handle(hai_chau, "water", "hai_chau")
    assert can_handle(a.agency("dawaco"), "water", "hoa_vang")
