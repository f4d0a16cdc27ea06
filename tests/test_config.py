import pytest

from tests.harness.site import dump
from config import DEMO_SITE, ConfigError, load_site, parse_hours


def test_demo_site_loads_with_the_brief_defaults():
    site = load_site(DEMO_SITE)
    assert site.hotline == "1022" and site.trunk.channels == 180
    assert site.agents.extensions == (101, 102, 103, 104, 105, 106)
    assert site.supervisors.extensions[0] == 201
    assert site.hours == ((450, 1050),) * 7
    assert site.emergency.numbers == {"police": "113", "fire": "114", "ambulance": "115"}
    assert (site.ports.sip, site.ports.ami, site.ports.agi, site.ports.web) == (5060, 5038, 4573, 8080)
    assert site.ports.bind == "127.0.0.1"
    assert {f.key for f in site.fields} >= {"traffic", "water", "drainage", "trees", "lighting", "admin"}
    assert site.paths.database_url.startswith("sqlite:///")
    assert [q.name for q in site.queues] == ["operator", "admin", "incidents"]


def test_site_is_frozen():
    site = load_site(DEMO_SITE)
    with pytest.raises(AttributeError):
        site.hotline = "113"


@pytest.mark.parametrize("text, expected", [
    ("07:30-17:30", (450, 1050)), ("00:00-24:00", (0, 1440)), ("closed", None)])
def test_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize("table, values, key", [
    ("trunk", {"channels": "many"}, "trunk.channels"),
    ("trunk", {"channels": 0}, "trunk.channels"),
    ("agents", {"count": 101}, "agents.count"),
    ("hours", {"mon": "8-5"}, "hours.mon"),
    ("hours", {"tue": "17:00-07:00"}, "hours.tue"),
    ("emergency", {"mode": "pray"}, "emergency.mode"),
    ("ports", {"ami": 70000}, "ports.ami"),
    ("ports", {"agi": 5060, "sip": 5060}, "ports.agi"),
    ("site", {"hotline": "10 22"}, "site.hotline"),
    ("site", {"colour": "red"}, "site.colour"),
    ("holidays", {"extra": ["tet"]}, "holidays.extra[0]"),
    ("supervisors", {"first_extension": 103}, "supervisors.first_extension"),
    ("pbx", {"max_calls": -1}, "pbx.max_calls"),
    ("pbx", {"max_load": "high"}, "pbx.max_load"),
])
def test_each_bad_value_is_named_by_file_and_key(tmp_path, table, values, key):
    import tomllib
    data = tomllib.loads(DEMO_SITE.read_text())
    data[table].update(values)
    path = tmp_path / "bad.toml"
    path.write_text(dump(data))
    with pytest.raises(ConfigError) as e:
        load_site(path)
    assert e.value.key == key
    assert str(e.value).startswith(f"{path}: {key}: ")


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[site\nname = 1")
    with pytest.raises(ConfigError, match="broken.toml: -: not valid TOML"):
        load_site(path)
