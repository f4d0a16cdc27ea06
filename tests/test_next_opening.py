"""Callbacks are due at the next opening: weekends, Tết and other holidays skipped."""
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.hours import next_opening
from tests.harness.site import make_site

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args):
    return datetime(*args, tzinfo=VN)


def test_evening_goes_to_next_morning(tmp_path):
    site = make_site(tmp_path, demo_hours=True)
    assert next_opening(site, at(2026, 11, 25, 21, 0)) == at(2026, 11, 26, 7, 30)
    assert next_opening(site, at(2026, 11, 26, 5, 0)) == at(2026, 11, 26, 7, 30)
    assert next_opening(site, at(2026, 11, 26, 9, 0)) == at(2026, 11, 26, 9, 0)  # open now


def test_weekend_closed_goes_to_monday(tmp_path):
    site = make_site(tmp_path, demo_hours=True, hours={"sat": "closed", "sun": "closed"})
    assert next_opening(site, at(2026, 11, 27, 18, 0)) == at(2026, 11, 30, 7, 30)  # Friday evening


def test_tet_is_skipped(tmp_path):
    site = make_site(tmp_path, demo_hours=True)
    # Tết Nguyên Đán 2026: the national holiday runs 2026-02-16 .. 2026-02-20 in the holidays package
    assert next_opening(site, at(2026, 2, 15, 20, 0)) == at(2026, 2, 21, 7, 30)


def test_extra_closed_day_and_national_day(tmp_path):
    site = make_site(tmp_path, demo_hours=True, holidays={"extra": ["2026-09-03"]})
    assert next_opening(site, at(2026, 9, 1, 19, 0)) == at(2026, 9, 4, 7, 30)  # 2/9 national, 3/9 extra
