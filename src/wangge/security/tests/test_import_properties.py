"""Property tests (hypothesis) for the two importers: the people importer
(`wangge import --kind residents`, POST /api/v1/people/import/residents) and
the 12345 hotline case import (`wangge import-cases`, POST
/api/v1/cases/import).

For any generated input — random bytes under any file name, spreadsheets
(CSV in UTF-8, GBK or broken encodings; XLSX) with shuffled, missing,
unknown or repeated columns, cells of the wrong type, huge strings,
duplicate ids, mixed with valid rows:
- nothing raises but a DomainError with a machine code and a Chinese message
  (the hotline import's file-level refusals); the people importer never raises;
- a refused file or row is reported in Chinese, every row problem with the
  row number Excel shows (≥ 2: row 1 is the header);
- all-or-nothing: a report with errors leaves every row count unchanged; a
  report without errors wrote exactly what it counted.

Example counts are kept small (`make test` runs them on both backends)."""

from __future__ import annotations

import csv
import io
import re
import string
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from wangge.cases.imports import COLUMNS, import_hotline
from wangge.cases.models import Case
from wangge.core.errors import DomainError
from wangge.people.importers import import_file
from wangge.people.layouts import LAYOUTS
from wangge.people.models import Building, Household, Organization, Resident, ResidentCareGroup
from wangge.people.tests.factories import BuildingFactory, id_number_for
from wangge.people.tests.sheets import resident_row
from wangge.teams.roles import Role

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

# -- generated cells and files ---------------------------------------------------

texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="张王李赵刘陈杨黄周吴一二三幢室号路街道社区网格 ", max_size=20),
    st.sampled_from(["", " ", "是", "否", "户主", "配偶", "孤寡老人、困难家庭", "流动人口",
                     "2026-02-30 10:00", "2026-13-45 25:61", "1e18", "-1", "0573-8888888",
                     "=CMD()", "NaN", "inf", "None", "120.06", "30.25"]),
    st.builds(lambda n: "长" * n, st.integers(min_value=60, max_value=5000)),  # huge strings
)
cells = st.one_of(
    texts,
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
)


def headers_from(known: list[str]):
    """A header row: some of the known headers, shuffled, maybe repeated,
    maybe with unknown ones."""
    return st.lists(
        st.one_of(st.sampled_from(known), st.sampled_from(known), texts), min_size=1, max_size=14
    )


def encode_csv(rows: list[list], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in r] for r in rows])
    return out.getvalue().encode(encoding, errors="replace")


def encode_xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@st.composite
def sheet_files(draw, known: list[str], good_rows: list[list] | None = None):
    """(file name, bytes) of a generated sheet."""
    header = draw(st.one_of(st.just(known), headers_from(known)))
    width = len(header)
    row = st.lists(cells, min_size=0, max_size=width + 2)
    rows = draw(st.lists(row, max_size=6))
    if good_rows and draw(st.booleans()):
        # Valid rows (only meaningful under the template header), some
        # repeated (duplicate ids), some with one cell replaced.
        picked = draw(st.lists(st.sampled_from(good_rows), min_size=1, max_size=4))
        for r in picked:
            r = list(r)
            if r and draw(st.booleans()):
                r[draw(st.integers(0, len(r) - 1))] = draw(cells)
            rows.insert(draw(st.integers(0, len(rows))), r)
    table = [header, *rows]
    kind = draw(st.sampled_from(["xlsx", "csv-utf8", "csv-gbk", "csv-latin1", "csv-utf16"]))
    if kind == "xlsx":
        return draw(st.sampled_from(["名单.xlsx", "x.XLSX"])), encode_xlsx(table)
    encoding = {"csv-utf8": "utf-8-sig", "csv-gbk": "gbk", "csv-latin1": "latin-1",
                "csv-utf16": "utf-16"}[kind]
    return draw(st.sampled_from(["名单.csv", "a.txt", "b.csv"])), encode_csv(table, encoding)


random_files = st.tuples(
    st.sampled_from(["a.xlsx", "a.csv", "a.txt", "a.json", "a.xls", "a", "数据.XLSX"]),
    st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=40).map(lambda b: b"PK\x03\x04" + b),  # a zip that is not a workbook
        st.binary(max_size=40).map(lambda b: "\ufeff楼栋编码,".encode() + b),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    ),
)


# -- the people importer ---------------------------------------------------------


def people_counts():
    return (Resident.objects.count(), Household.objects.count(), Building.objects.count(),
            ResidentCareGroup.objects.count(), Organization.objects.count())


def check_people_report(report, before):
    d = report.as_dict()
    if report.ok:
        assert report.written and report.rows > 0
        assert people_counts() != before or report.created == 0
        return
    assert not report.written
    assert people_counts() == before, "a refused import changed the data"
    assert CHINESE.search(d["message"]), d["message"]
    assert d["errors"], d
    for e in d["errors"]:
        assert CHINESE.search(e["message"]), e
        if d["code"] == "invalid_rows":
            assert isinstance(e["row"], int) and e["row"] >= 1, e


@pytest.fixture
def importer_worker(make_staff, tree):
    """A grid worker of grid A1a-1, whose buildings 00001 and 00002 exist
    (so valid rows import)."""
    BuildingFactory(grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1, code="00001")
    BuildingFactory(grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_2, code="00002")
    return make_staff(Role.GRID_WORKER, tree.grid_a1a_1)


@PROPERTY
@given(data=st.data())
def test_people_import_never_crashes_and_reports_in_chinese(importer_worker, tree, data):
    g = tree.grid_a1a_1
    good = [
        resident_row(g, "1", "601", "周一", id_number_for(900), relationship="户主"),
        resident_row(g, "1", "601", "周二", id_number_for(901), relationship="配偶"),
        resident_row(g, "2", "101", "周三", id_number_for(900)),  # the first one's id again
    ]
    name, payload = data.draw(
        st.one_of(sheet_files(LAYOUTS["residents"].headers, good), random_files)
    )
    before = people_counts()
    report = import_file(actor=importer_worker, kind="residents", name=name, data=payload)
    check_people_report(report, before)


@PROPERTY
@given(data=st.data())
def test_people_import_of_organizations_and_buildings_never_crashes(importer_worker, data):
    kind = data.draw(st.sampled_from(["buildings", "households", "organizations"]))
    name, payload = data.draw(st.one_of(sheet_files(LAYOUTS[kind].headers), random_files))
    before = people_counts()
    report = import_file(actor=importer_worker, kind=kind, name=name, data=payload)
    check_people_report(report, before)


# -- the hotline case import -----------------------------------------------------

HOTLINE_HEADERS = [names[0] for names in COLUMNS.values()] + [
    names[-1] for names in COLUMNS.values()
]


@pytest.fixture
def hotline_dispatcher(make_staff, tree):
    return make_staff("dispatcher", tree.district_a)


def hotline_good(n: int) -> list[list]:
    # In HOTLINE_HEADERS order: the Chinese names of every column first.
    rows = []
    for i in range(n):
        rows.append([f"12345-{i:03d}", "2026-03-02 09:15", "李先生", "13900001111",
                     "芦席汇社区门口路灯不亮", "解放街道芦席汇社区中山路1号", "公用设施/路灯不亮",
                     "", "120.06", "30.25"])
    return rows


@st.composite
def hotline_json(draw):
    keys = st.one_of(st.sampled_from(HOTLINE_HEADERS), texts)
    rows = draw(st.lists(st.dictionaries(keys, cells.filter(
        lambda v: not isinstance(v, float | date)), max_size=8), max_size=5))
    body = draw(st.one_of(st.just(rows), st.just({"rows": rows}), cells.filter(
        lambda v: not isinstance(v, float | date))))
    import json

    return draw(st.sampled_from(["a.json", "热线.JSON"])), json.dumps(
        body, ensure_ascii=draw(st.booleans()), default=str).encode()


@PROPERTY
@given(data=st.data())
def test_hotline_import_never_crashes_and_is_all_or_nothing(hotline_dispatcher, data):
    name, payload = data.draw(st.one_of(
        sheet_files(HOTLINE_HEADERS[:10], hotline_good(3)),
        hotline_json(),
        random_files,
    ))
    before = Case.objects.count()
    try:
        report = import_hotline(actor=hotline_dispatcher, name=name, data=payload)
    except DomainError as exc:
        assert exc.code and CHINESE.search(exc.message), (exc.code, exc.message)
        assert Case.objects.count() == before
        return
    if report.errors:
        assert Case.objects.count() == before, "a refused batch created cases"
        assert not report.created
        for e in report.errors:
            assert isinstance(e["row"], int) and e["row"] >= 2, e
            assert CHINESE.search(e["column"] + e["message"]), e
    else:
        assert Case.objects.count() == before + len(report.created)


def test_generated_files_are_not_all_refused_at_the_door(importer_worker, tree):
    """The generators do reach the row checks (not only 'cannot read'): a
    template sheet with good rows imports, and one wrong cell is reported on
    its row."""
    g = tree.grid_a1a_1
    rows = [resident_row(g, "1", "601", "周一", id_number_for(900))]
    ok = import_file(actor=importer_worker, kind="residents", name="a.csv",
                     data=encode_csv([LAYOUTS["residents"].headers, *rows], "utf-8-sig"))
    assert ok.ok and ok.created == 1, ok.as_dict()["errors"]
    bad = [*rows, [*rows[0][:5], "110101199003071234" + string.digits[:1], *rows[0][6:]]]
    before = people_counts()
    report = import_file(actor=importer_worker, kind="residents", name="a.xlsx",
                         data=encode_xlsx([LAYOUTS["residents"].headers, *bad]))
    assert not report.ok and people_counts() == before
    assert [e.row for e in report.errors] == [3], report.as_dict()


def test_impossible_call_time_is_a_row_error(hotline_dispatcher):
    """Found by the property above: a well-formed but impossible time made
    Django's parse_datetime raise ValueError out of the import."""
    header = HOTLINE_HEADERS[:10]
    rows = hotline_good(2)
    rows[1][1] = "2026-13-45 10:00"
    before = Case.objects.count()
    report = import_hotline(actor=hotline_dispatcher, name="a.csv",
                            data=encode_csv([header, *rows], "utf-8-sig"))
    assert report.errors == [{"row": 3, "column": "来电时间",
                              "message": "时间格式不正确（如 2026-02-13 10:30）"}]
    assert Case.objects.count() == before
