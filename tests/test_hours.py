from datetime import date, datetime

from ivr.hours import describe, holiday_name, is_open
from tests.harness.site import make_site
from config import DEMO_SITE, load_site

SITE = load_site(DEMO_SITE)


def test_open_inside_hours_closed_outside():
    assert is_open(SITE, datetime(2026, 11, 25, 7, 30))
    assert is_open(SITE, datetime(2026, 11, 25, 17, 29))
    assert not is_open(SITE, datetime(2026, 11, 25, 17, 30))
    assert not is_open(SITE, datetime(2026, 11, 25, 3, 0))


def test_closed_on_tet_and_national_day():
    assert holiday_name(SITE, date(2026, 2, 17))  # Tết Nguyên Đán 2026
    assert not is_open(SITE, datetime(2026, 2, 17, 9, 0))
    assert not is_open(SITE, datetime(2026, 9, 2, 9, 0))  # Quốc khánh


def test_weekday_closed_and_extra_day(tmp_path):
    site = make_site(tmp_path, demo_hours=True, hours={"sun": "closed"}, holidays={"extra": ["2026-11-26"]})
    assert not is_open(site, datetime(2026, 11, 29, 9, 0))  # a Sunday
    assert not is_open(site, datetime(2026, 11, 26, 9, 0))
    assert is_open(site, datetime(2026, 11, 27, 9, 0))


def test_describe_groups_days():
    assert describe(SITE, "en").startswith("Monday to Sunday, 7:30 to 17:30.")
    assert "từ 7 giờ 30 đến 17 giờ 30" in describe(SITE, "vi")
