"""Property tests (hypothesis): the case transition table and the
working-day calendar hold their rules for any sequence or any instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.cases.flow import TABLE, Move, Who
from wangge.cases.models import Status
from wangge.cases.workdays import china

TERMINAL = {Status.VOIDED, Status.MERGED, Status.ARCHIVED}
EVERYONE = frozenset(Who)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(Move)), max_size=40))
def test_no_sequence_of_moves_reaches_an_invalid_state(moves):
    """Apply any sequence of moves, keeping only those the table allows from
    the current status: the status is always a known one, terminal states
    never move on, and a case is only ever closed after verification, which
    comes after handling, which comes after dispatch."""
    status, seen = Status.REPORTED, [Status.REPORTED]
    for move in moves:
        edge = TABLE[move]
        if status not in edge.sources:
            continue
        assert status not in TERMINAL, f"{move} allowed from terminal {status}"
        if edge.target is not None:
            status = edge.target
            seen.append(status)
        assert status in Status.values
    if Status.CLOSED in seen:
        first_closed = seen.index(Status.CLOSED)
        assert Status.VERIFIED in seen[:first_closed]
    if Status.VERIFIED in seen:
        assert Status.HANDLED in seen[: seen.index(Status.VERIFIED)]
    if Status.HANDLING in seen:
        assert Status.DISPATCHED in seen[: seen.index(Status.HANDLING)]


def test_every_move_has_an_actor_and_no_move_leaves_a_terminal_state():
    for move, edge in TABLE.items():
        assert edge.who and edge.who <= EVERYONE, move
        assert not set(edge.sources) & TERMINAL, move


CAL = china()
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=0, max_value=30))
def test_adding_working_days_lands_on_a_working_day_later(start, n):
    due = CAL.add_working_days(start, n)
    assert due >= start
    assert CAL.is_working_day(due.astimezone(CAL.tz).date())


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=0, max_value=200 * 3600))
def test_working_seconds_round_trip(start, seconds):
    """What add_working_seconds adds, working_seconds_between measures back."""
    due = CAL.add_working_seconds(start, seconds)
    assert due >= start
    assert abs(CAL.working_seconds_between(start, due) - seconds) <= 1


@settings(max_examples=200, deadline=None)
@given(instants, instants)
def test_working_seconds_are_monotone_and_bounded(a, b):
    a, b = min(a, b), max(a, b)
    between = CAL.working_seconds_between(a, b)
    assert 0 <= between <= (b - a).total_seconds() + 1
    assert CAL.working_seconds_between(a, b + timedelta(hours=1)) >= between
