"""The working-day calendar against the official 2025–2026 arrangements
(国务院办公厅 holiday notices, as packaged by chinese-calendar)."""

from datetime import date, datetime, timedelta

import pytest

from wangge.cases.workdays import TZ, WorkCalendar, china


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


cal = china()


@pytest.mark.parametrize(
    "day,working",
    [
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday make-up workday (调休)
        (date(2026, 2, 16), False),  # 除夕 eve holiday, a Monday
        (date(2026, 2, 23), False),  # last day of the 9-day break, a Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday make-up workday
        (date(2026, 3, 1), False),  # plain Sunday
        (date(2025, 9, 28), True),  # Sunday make-up before National Day 2025
        (date(2025, 10, 8), False),  # National Day + Mid-Autumn, a Wednesday
        (date(2025, 10, 11), True),  # Saturday make-up after National Day 2025
        (date(2026, 9, 20), True),  # Sunday make-up before National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday make-up after National Day 2026
        (date(2025, 1, 26), True),  # Sunday make-up before Spring Festival 2025
        (date(2025, 1, 28), False),  # 除夕 2025
    ],
)
def test_official_days(day, working):
    assert cal.is_working_day(day) is working


def test_immediate_case_due_same_working_day():
    assert cal.add_working_days(at(2026, 2, 13, 9), 0) == at(2026, 2, 13, 17, 30)


def test_immediate_after_hours_rolls_to_next_working_day_even_a_saturday():
    # Friday 18:00 → the next working day is the make-up Saturday 14 Feb.
    assert cal.add_working_days(at(2026, 2, 13, 18), 0) == at(2026, 2, 14, 17, 30)


def test_immediate_reported_during_spring_festival():
    assert cal.add_working_days(at(2026, 2, 18, 11), 0) == at(2026, 2, 24, 17, 30)


def test_time_limited_across_spring_festival_2026():
    # Registered on the make-up Saturday: 3 working days are 24, 25, 26 Feb.
    assert cal.add_working_days(at(2026, 2, 14, 10), 3) == at(2026, 2, 26, 17, 30)


def test_time_limited_across_national_day_2025():
    # Tuesday 30 Sep 16:00, 3 working days: Thu 9 Oct, Fri 10 Oct, Sat 11 Oct (make-up).
    assert cal.add_working_days(at(2025, 9, 30, 16), 3) == at(2025, 10, 11, 17, 30)


def test_time_limited_across_national_day_2026():
    # Wednesday 30 Sep, 2 working days: Thu 8 Oct, Fri 9 Oct.
    assert cal.add_working_days(at(2026, 9, 30, 9), 2) == at(2026, 10, 9, 17, 30)
    # … and 3 days reach the make-up Saturday 10 Oct.
    assert cal.add_working_days(at(2026, 9, 30, 9), 3) == at(2026, 10, 10, 17, 30)


def test_working_seconds_over_a_holiday():
    # 30 Sep 2025 17:00 → 9 Oct 09:30: half an hour before, one hour after.
    assert cal.working_seconds_between(at(2025, 9, 30, 17), at(2025, 10, 9, 9, 30)) == 5400


def test_working_seconds_skip_lunch_and_night():
    assert cal.working_seconds_between(at(2026, 3, 2, 11), at(2026, 3, 2, 14)) == 1.5 * 3600
    assert cal.working_seconds_between(at(2026, 3, 2, 17), at(2026, 3, 3, 9)) == 3600
    assert cal.working_seconds_between(at(2026, 3, 3, 9), at(2026, 3, 2, 17)) == 0


def test_add_working_hours_over_spring_festival():
    # 4 working hours from Saturday 14 Feb 2026 15:30: 2 h that day, 2 h on 24 Feb.
    assert cal.add_working_hours(at(2026, 2, 14, 15, 30), 4) == at(2026, 2, 24, 10, 30)


def test_add_working_seconds_lands_at_end_of_interval_not_next_start():
    assert cal.add_working_hours(at(2026, 3, 2, 8, 30), 3.5) == at(2026, 3, 2, 12, 0)


def test_warn_point_is_80_percent_of_working_time():
    start, due = at(2026, 3, 2, 8, 30), at(2026, 3, 3, 17, 30)  # two full days, 15 h
    warn = cal.warn_point(start, due, 0.8)
    assert cal.working_seconds_between(start, warn) == 12 * 3600
    assert warn == at(2026, 3, 3, 14, 30)
    assert cal.fraction_elapsed(start, due, warn) == pytest.approx(0.8)


def test_outside_the_data_years_weekdays_rule():
    bare = WorkCalendar()
    assert bare.is_working_day(date(2031, 1, 6))  # Monday
    assert not bare.is_working_day(date(2031, 1, 5))  # Sunday


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 3, 2, 10), 1)


def test_roundtrip_add_then_measure():
    start = at(2025, 12, 31, 16)
    for hours in (0.5, 3, 7.5, 20, 45):
        end = cal.add_working_hours(start, hours)
        assert cal.working_seconds_between(start, end) == pytest.approx(hours * 3600)
        assert end - start >= timedelta(hours=hours)
