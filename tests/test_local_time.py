"""Dates as the site reads and types them, and the CLI's answers to bad ones."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from config.local_time import parse_day, parse_moment, show
from tests.harness.cli import cli
from tests.harness.site import make_site

TZ = "Asia/Ho_Chi_Minh"


def test_days_in_both_spellings():
    assert parse_day("31/12/2026") == parse_day("2026-12-31") == date(2026, 12, 31)
    for bad in ("31-31-2026", "32/12/2026", "", "tomorrow"):
        with pytest.raises(ValueError, match="dd/mm/yyyy"):
            parse_day(bad)


def test_moments_are_site_time_stored_as_utc():
    assert parse_moment("03/12/2026 08:00", TZ) == datetime(2026, 12, 3, 1, 0)
    assert parse_moment("2026-12-03", TZ) == datetime(2026, 12, 2, 17, 0)
    assert parse_moment("2h", TZ, now=datetime(2026, 12, 3, 10, 0)) == datetime(2026, 12, 3, 8, 0)
    assert show(datetime(2026, 12, 3, 1, 0), TZ) == "03/12/2026 08:00"
    assert show(None, TZ) == "-"


def test_stats_takes_a_vietnamese_date_and_refuses_a_bad_one_in_one_line(tmp_path):
    site = make_site(tmp_path)
    ok = cli(site, "stats", "--date", "31/12/2026")
    assert "on 2026-12-31" in ok.stdout
    bad = cli(site, "stats", "--date", "31-31-2026", check=False)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "dd/mm/yyyy" in bad.stderr
    assert "Traceback" not in bad.stderr
    since = cli(site, "tickets", "list", "--since", "yesterday", check=False)
    assert since.returncode == 2 and "dd/mm/yyyy" in since.stderr and "Traceback" not in since.stderr
