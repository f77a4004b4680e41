"""The service business calendar: Monday–Friday 9:00–18:00 Europe/Bucharest, Romanian public holidays off.

Holidays come from the ``holidays`` package (Romania: New Year, Epiphany, Saint John, Unification Day, Orthodox
Good Friday, Easter and Pentecost with their Mondays, Labour Day, Children's Day, Dormition, Saint Andrew,
National Day, Christmas). Service-level targets are counted in business hours on this calendar.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Bucharest")
OPENS = datetime.time(9)
CLOSES = datetime.time(18)
DAY_SECONDS = 9 * 3600


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(_calendar(year).keys())


def _calendar(year: int):
    # Imported on first use: the package's country tables cost every worker ~6 MB, and only service SLAs read them.
    import holidays

    return holidays.country_holidays("RO", years=year)


def is_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def holiday_name(day: datetime.date) -> str:
    return _calendar(day.year).get(day, "")


def _local(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(ZONE)


def _window(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    return (datetime.datetime.combine(day, OPENS, tzinfo=ZONE), datetime.datetime.combine(day, CLOSES, tzinfo=ZONE))


def business_seconds_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Business seconds from ``start`` to ``end`` (0 when end is not after start)."""
    start, end = _local(start), _local(end)
    if end <= start:
        return 0
    total = 0
    day = start.date()
    while day <= end.date():
        if is_business_day(day):
            opens, closes = _window(day)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += datetime.timedelta(days=1)
    return total


def add_business_seconds(start: datetime.datetime, seconds: float) -> datetime.datetime:
    """The moment ``seconds`` business seconds after ``start`` (in Europe/Bucharest)."""
    moment = _local(start)
    left = float(seconds)
    day = moment.date()
    for _ in range(3700):  # ten years of days: a target never runs that long
        if is_business_day(day):
            opens, closes = _window(day)
            lo = max(opens, moment)
            if lo < closes:
                room = (closes - lo).total_seconds()
                if left <= room:
                    return lo + datetime.timedelta(seconds=left)
                left -= room
        day += datetime.timedelta(days=1)
        moment = datetime.datetime.combine(day, OPENS, tzinfo=ZONE)
    raise ValueError("target too far in the future")


def add_business_hours(start: datetime.datetime, hours) -> datetime.datetime:
    return add_business_seconds(start, float(hours) * 3600)
