"""The working-day calendar: pure functions over Chinese public holidays and
make-up workdays (调休), with the data taken from the `chinese-calendar`
package and nothing read from the database or the clock.

Rules:
- A date is a working day if it is a make-up workday, or a Monday–Friday that
  is not a public holiday. Outside the years the data covers, plain
  Monday–Friday.
- Working hours are the intervals in `WORK_INTERVALS` (local time,
  Asia/Shanghai): 08:30–12:00 and 13:30–17:30, 7.5 hours a day.
- `add_working_days(start, n)` is the end of the n-th working day after the
  start day; n = 0 is the end of the start day itself (即办件). The start day
  is the day of `start` when that is a working day and `start` lies before the
  end of its working hours, else the next working day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
WORK_INTERVALS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    intervals: tuple[tuple[time, time], ...] = WORK_INTERVALS
    tz: ZoneInfo = TZ

    # -- days ---------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        raise ValueError("no working day within a year")  # pragma: no cover

    def day_seconds(self) -> int:
        return sum(_secs(b) - _secs(a) for a, b in self.intervals)

    def _local(self, dt: datetime) -> datetime:
        if dt.tzinfo is None:
            raise ValueError("naive datetime")
        return dt.astimezone(self.tz)

    def _at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz)

    def end_of_day(self, d: date) -> datetime:
        return self._at(d, self.intervals[-1][1])

    def start_day(self, start: datetime) -> date:
        local = self._local(start)
        d = local.date()
        if self.is_working_day(d) and local < self.end_of_day(d):
            return d
        return self.next_working_day(d)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        if n < 0:
            raise ValueError("n must be >= 0")
        d = self.start_day(start)
        for _ in range(n):
            d = self.next_working_day(d)
        return self.end_of_day(d)

    # -- hours --------------------------------------------------------------
    def _seconds_in_day_until(self, d: date, local: datetime) -> int:
        """Working seconds of day `d` that lie before `local`."""
        total = 0
        for a, b in self.intervals:
            lo, hi = self._at(d, a), self._at(d, b)
            if local <= lo:
                break
            total += int((min(local, hi) - lo).total_seconds())
        return total

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Working seconds in [a, b); 0 when b <= a."""
        a, b = self._local(a), self._local(b)
        if b <= a:
            return 0
        da, db = a.date(), b.date()
        per_day = self.day_seconds()
        if da == db:
            if not self.is_working_day(da):
                return 0
            return self._seconds_in_day_until(da, b) - self._seconds_in_day_until(da, a)
        total = 0
        if self.is_working_day(da):
            total += per_day - self._seconds_in_day_until(da, a)
        d = da + timedelta(days=1)
        while d < db:
            if self.is_working_day(d):
                total += per_day
            d += timedelta(days=1)
        if self.is_working_day(db):
            total += self._seconds_in_day_until(db, b)
        return total

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment when `seconds` of working time have passed since `start`.
        Lands on the end of an interval rather than the start of the next one."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        local = self._local(start)
        remaining = float(seconds)
        d = local.date()
        cursor = local
        for _ in range(3660):
            if self.is_working_day(d):
                for a, b in self.intervals:
                    lo, hi = self._at(d, a), self._at(d, b)
                    if cursor >= hi:
                        continue
                    begin = max(cursor, lo)
                    avail = (hi - begin).total_seconds()
                    if remaining <= avail:
                        return begin + timedelta(seconds=remaining)
                    remaining -= avail
            d += timedelta(days=1)
            cursor = self._at(d, time(0, 0))
        raise ValueError("deadline more than ten years away")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_seconds(start, hours * 3600)

    def fraction_elapsed(self, start: datetime, due: datetime, now: datetime) -> float:
        """Share of the working time from start to due that has passed at `now`."""
        total = self.working_seconds_between(start, due)
        if total <= 0:
            return 1.0 if now >= due else 0.0
        return self.working_seconds_between(start, now) / total

    def warn_point(self, start: datetime, due: datetime, share: float = 0.8) -> datetime:
        """The moment `share` of the working time from start to due has passed."""
        total = self.working_seconds_between(start, due)
        if total <= 0:
            return due
        return min(self.add_working_seconds(start, total * share), due)


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@lru_cache(maxsize=1)
def china() -> WorkCalendar:
    """The calendar with the official holiday data from `chinese-calendar`."""
    from chinese_calendar import constants

    return WorkCalendar(
        holidays=frozenset(constants.holidays.keys()),
        workdays=frozenset(constants.workdays.keys()),
    )
