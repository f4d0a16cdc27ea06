"""Opening hours: per weekday, closed on Vietnamese public holidays (Tết included) and
on the site's extra closed days."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from config import Site

DAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=16)
def _national(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def holiday_name(site: Site, day: date) -> str | None:
    if day.isoformat() in site.holidays.extra:
        return "closed day"
    if not site.holidays.country:  # no national holidays (a site open every day of the year)
        return None
    return _national(site.holidays.country, day.year).get(day)


def now(site: Site) -> datetime:
    return datetime.now(ZoneInfo(site.timezone))


def is_open(site: Site, when: datetime) -> bool:
    """`when` is local time at the site."""
    if holiday_name(site, when.date()):
        return False
    hours = site.hours[when.weekday()]
    if hours is None:
        return False
    minute = when.hour * 60 + when.minute
    return hours[0] <= minute < hours[1]


def next_opening(site: Site, when: datetime) -> datetime:
    """`when` itself if the hotline is open then, else the start of its next opening hours
    (closed weekdays, Tết and other holidays skipped). Local time in, local time out."""
    for offset in range(0, 60):
        day = (when + timedelta(days=offset)).date()
        hours = site.hours[day.weekday()]
        if hours is None or holiday_name(site, day):
            continue
        start = datetime.combine(day, time(hours[0] // 60, hours[0] % 60), when.tzinfo)
        if offset == 0 and is_open(site, when):
            return when
        if start >= when:
            return start
    raise ValueError("the hotline is not open on any of the next 60 days")


def _clock(minutes: int, lang: str) -> str:
    h, m = divmod(minutes, 60)
    if lang == "vi":
        return f"{h} giờ" + (f" {m}" if m else "")
    return f"{h}:{m:02d}"


def describe(site: Site, lang: str) -> str:
    """Opening hours as a sentence, consecutive days with the same hours grouped."""
    names = DAYS_VI if lang == "vi" else DAYS_EN
    groups: list[list[int]] = []
    for day, hours in enumerate(site.hours):
        if groups and site.hours[groups[-1][-1]] == hours:
            groups[-1].append(day)
        else:
            groups.append([day])
    parts = []
    for g in groups:
        hours = site.hours[g[0]]
        days = names[g[0]] if len(g) == 1 else (f"{names[g[0]]} đến {names[g[-1]]}" if lang == "vi"
                                                 else f"{names[g[0]]} to {names[g[-1]]}")
        if hours is None:
            parts.append(f"{days}: {'nghỉ' if lang == 'vi' else 'closed'}")
        elif lang == "vi":
            parts.append(f"{days}, từ {_clock(hours[0], lang)} đến {_clock(hours[1], lang)}")
        else:
            parts.append(f"{days}, {_clock(hours[0], lang)} to {_clock(hours[1], lang)}")
    tail = " Nghỉ các ngày lễ, Tết." if lang == "vi" else " Closed on public holidays."
    return "; ".join(parts) + "." + tail
