"""Deadline arithmetic (agencies.deadlines): working days and hours skip weekends, Vietnamese
public holidays and Tết; "hours" run around the clock. The demo site's office hours:
Monday-Friday 07:30-11:30 and 13:30-17:00."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agencies.deadlines import DeadlineError, due, fraction_elapsed, next_office_moment, office_time, policy_for
from config import DEMO_SITE, load_site
from config.agency_settings import Deadline
from config.settings import Holidays

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SITE = load_site(DEMO_SITE)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def test_friday_afternoon_plus_three_working_days_is_wednesday_same_time():
    start = at(2025, 11, 7, 16)  # a Friday
    assert start.strftime("%A") == "Friday"
    end = due(start, Deadline(3, "working_days"), SITE)
    assert end == at(2025, 11, 12, 16) and end.strftime("%A") == "Wednesday"


def test_tet_2026_is_skipped():
    # Tết Bính Ngọ: the holidays package closes Monday 16 to Friday 20 February 2026
    start = at(2026, 2, 13, 10)  # the Friday before
    assert due(start, Deadline(3, "working_days"), SITE) == at(2026, 2, 25, 10)  # Mon 23, Tue 24, Wed 25
    # 8 working hours: 10:00-11:30 and 13:30-17:00 on Friday (5 h), then 3 h from Monday 23's opening
    assert due(start, Deadline(8, "working_hours"), SITE) == at(2026, 2, 23, 10, 30)
    # a forward during Tết counts from the first opening after it
    assert due(at(2026, 2, 17, 9), Deadline(1, "working_days"), SITE) == at(2026, 2, 24, 7, 30)


def test_around_the_clock_ignores_holidays_and_weekends():
    four = Deadline(4, "hours")
    assert due(at(2026, 2, 17, 22), four, SITE) == at(2026, 2, 18, 2)  # Tết, overnight
    assert due(at(2025, 11, 8, 23, 30), four, SITE) == at(2025, 11, 9, 3, 30)  # Saturday night
    assert due(at(2026, 2, 17, 22), four, SITE).tzinfo is not None


def test_start_outside_office_hours_counts_from_the_next_opening():
    assert next_office_moment(SITE, at(2025, 11, 8, 10)) == at(2025, 11, 10, 7, 30)  # Saturday -> Monday
    assert next_office_moment(SITE, at(2025, 11, 10, 12)) == at(2025, 11, 10, 13, 30)  # lunch
    assert next_office_moment(SITE, at(2025, 11, 10, 9)) == at(2025, 11, 10, 9)
    assert due(at(2025, 11, 7, 18), Deadline(3, "working_days"), SITE) == at(2025, 11, 13, 7, 30)
    assert due(at(2025, 11, 10, 12), Deadline(1, "working_hours"), SITE) == at(2025, 11, 10, 14, 30)


def test_working_hours_span_the_lunch_break_and_end_at_closing():
    assert due(at(2025, 11, 10, 11), Deadline(1, "working_hours"), SITE) == at(2025, 11, 10, 14)
    assert due(at(2025, 11, 10, 16), Deadline(1, "working_hours"), SITE) == at(2025, 11, 10, 17)
    assert due(at(2025, 11, 10, 7, 30), Deadline(8, "working_hours"), SITE) == at(2025, 11, 11, 8)


def test_site_extra_closed_days_are_skipped():
    site = replace(SITE, holidays=Holidays("VN", ("2025-11-10",)))
    assert due(at(2025, 11, 7, 16), Deadline(3, "working_days"), site) == at(2025, 11, 13, 16)


def test_utc_input_gives_site_local_output():
    start = datetime(2025, 11, 7, 9, tzinfo=ZoneInfo("UTC"))  # 16:00 in Đà Nẵng
    assert due(start, Deadline(3, "working_days"), SITE) == at(2025, 11, 12, 16)
    with pytest.raises(DeadlineError):
        due(datetime(2025, 11, 7, 16), Deadline(3, "working_days"), SITE)


def test_fraction_elapsed_counts_office_time():
    start, deadline = at(2025, 11, 7, 16), Deadline(3, "working_days")
    end = due(start, deadline, SITE)
    assert office_time(SITE, start, end).total_seconds() == (60 + 450 + 450 + 390) * 60
    assert fraction_elapsed(start, end, start, deadline, SITE) == 0
    # the weekend does not count: Friday 16:00-17:00 only
    assert fraction_elapsed(start, end, at(2025, 11, 9, 20), deadline, SITE) == pytest.approx(60 / 1350)
    assert fraction_elapsed(start, end, at(2025, 11, 11, 10), deadline, SITE) == pytest.approx((60 + 450 + 150) / 1350)
    assert fraction_elapsed(start, end, end, deadline, SITE) == 1.0
    assert fraction_elapsed(start, end, at(2025, 11, 20), deadline, SITE) >= 1.0


def test_fraction_elapsed_around_the_clock():
    start, deadline = at(2026, 2, 17, 22), Deadline(4, "hours")
    end = due(start, deadline, SITE)
    assert fraction_elapsed(start, end, at(2026, 2, 18, 0), deadline, SITE) == pytest.approx(0.5)
    assert fraction_elapsed(start, end, at(2026, 2, 18, 1, 12), deadline, SITE) == pytest.approx(0.8)
    assert fraction_elapsed(start, end, at(2026, 2, 18, 6), deadline, SITE) == pytest.approx(2.0)


def test_policy_for_agency_override_then_field_then_default():
    settings = SITE.agencies
    assert policy_for(settings, "lighting", "so_xay_dung") == Deadline(3, "working_days")
    assert policy_for(settings, "trees", "cay_xanh") == Deadline(4, "hours")
    assert policy_for(settings, "admin", "trung_tam_hcc") == Deadline(3, "working_days")  # override
    assert policy_for(settings, "admin", "ubnd_hai_chau") == Deadline(5, "working_days")  # the field's
    assert policy_for(settings, "telecom", "vnpt") == settings.default_deadline
    assert policy_for(settings, "admin", None) == Deadline(5, "working_days")
