import datetime as dt
import random

from wangge.core.validators import normalize_id_number, normalize_phone
from wangge.generator.people import IdAllocator, members, mobile, staff_mobile


def test_allocator_gives_distinct_valid_numbers_and_moves_a_full_day():
    ids = IdAllocator()
    day = dt.date(1980, 5, 17).toordinal()
    out = [ids.allocate("330402", day, "F") for _ in range(150)]
    numbers = [n for n, _ in out]
    assert len(set(numbers)) == 150
    assert all(normalize_id_number(n) == n for n in numbers)
    assert all(int(n[16]) % 2 == 0 for n in numbers)  # women: even
    # 100 per county, day and sex; then the next day.
    assert {o for _, o in out[:100]} == {day}
    assert {o for _, o in out[100:]} == {day + 1}
    assert all(n[6:14] == "19800518" for n in numbers[100:])


def test_reserved_numbers_are_never_handed_out():
    taken = IdAllocator().allocate("330411", dt.date(1990, 1, 2).toordinal(), "M")[0]
    ids = IdAllocator()
    ids.reserve(taken)
    again = ids.allocate("330411", dt.date(1990, 1, 2).toordinal(), "M")[0]
    assert again != taken and again[:14] == taken[:14]
    ids.reserve("not an id number")  # ignored


def test_phones_are_valid_and_staff_phones_distinct():
    rng = random.Random(3)
    assert all(normalize_phone(p) == p for p in (mobile(rng) for _ in range(500)))
    staff = [staff_mobile(n) for n in range(0, 3_200_000, 97)]
    assert len(set(staff)) == len(staff)
    assert all(normalize_phone(p) == p for p in staff[:500])


def test_household_members_are_plausible():
    rng = random.Random(5)
    for kind in (
        "single_young",
        "single_elderly",
        "couple_young",
        "couple_elderly",
        "nuclear",
        "three_gen",
        "shared",
    ):
        for _ in range(200):
            people = members(rng, kind)
            head = people[0]
            assert head.relationship == "head" and 0 <= head.age <= 99
            assert all(0 <= m.age <= 99 for m in people)
            for m in people:
                if m.relationship == "child":
                    assert head.age - m.age >= 18
                if m.relationship == "spouse":
                    assert m.sex != head.sex
