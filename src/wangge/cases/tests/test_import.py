"""12345 hotline batches: CSV, XLSX, JSON; idempotent; all-or-nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from wangge.cases.models import Case, CaseReporter, SmsLog

HEADERS = ["工单编号", "来电时间", "来电人", "联系电话", "诉求内容", "地址", "诉求分类"]
ROWS = [
    [
        "12345-001",
        "2026-03-02 09:15",
        "李先生",
        "13900001111",
        "芦席汇社区门口路灯不亮",
        "解放街道芦席汇社区中山路1号",
        "公用设施/路灯不亮",
    ],
    [
        "12345-002",
        "2026-03-02 10:40",
        "王女士",
        "0573-8888888",
        "小区楼下有人占道摆摊",
        "新塍村村口",
        "城市管理",
    ],
    ["12345-003", "2026-03-02 11:00", "赵先生", "", "新城社区噪音扰民", "新城街道新城社区", ""],
]


def csv_bytes(rows=ROWS, headers=HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def xlsx_bytes(rows=ROWS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, name, data):
    return client.post("/api/v1/cases/import", {"file": SimpleUploadedFile(name, data)})


def test_csv_import_routes_by_address_and_is_idempotent(client, world):
    client.force_login(world.district_dispatcher)
    r = upload(client, "batch.csv", csv_bytes())
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 3 and r.json()["skipped"] == 0
    c1 = Case.objects.get(external_id="12345-001")
    assert c1.source == "hotline" and c1.community == world.tree.community_a1a
    assert c1.category.code == "0602" and c1.department == world.dept_zj
    assert c1.created_at.isoformat() == "2026-03-02T01:15:00+00:00"
    assert Case.objects.get(external_id="12345-002").community == world.tree.community_a1b
    c2 = Case.objects.get(external_id="12345-002")
    assert c2.category.code == "0401" and c2.category_suggested  # suggested from the text
    assert not c1.category_suggested
    assert Case.objects.get(external_id="12345-003").district == world.tree.district_b
    rep = CaseReporter.objects.get(case=c1)
    assert rep.user is None and rep.name == "李先生" and rep.phone_masked == "139****1111"
    # The same batch again: nothing new.
    again = upload(client, "batch.csv", csv_bytes())
    assert again.json()["created"] == 0 and again.json()["skipped"] == 3
    assert Case.objects.count() == 3


def test_xlsx_and_json_batches(client, world):
    client.force_login(world.district_dispatcher)
    assert upload(client, "b.xlsx", xlsx_bytes(ROWS[:1])).json()["created"] == 1
    rows = [
        dict(
            zip(
                ["external_id", "time", "caller", "phone", "text", "address", "category"],
                r,
                strict=True,
            )
        )
        for r in ROWS
    ]
    r = upload(client, "b.json", json.dumps(rows, ensure_ascii=False).encode())
    assert r.json()["created"] == 2 and r.json()["skipped"] == 1


@pytest.mark.parametrize(
    "rows,row,column",
    [
        ([["12345-9", "昨天", "甲", "", "路灯不亮", "芦席汇社区", ""]], 2, "来电时间"),
        (
            [["12345-9", "2026-03-02 09:00", "甲", "abc", "路灯不亮", "芦席汇社区", ""]],
            2,
            "联系电话",
        ),
        ([["12345-9", "2026-03-02 09:00", "甲", "", "", "芦席汇社区", ""]], 2, "诉求内容"),
        ([["12345-9", "2026-03-02 09:00", "甲", "", "路灯不亮", "火星基地", ""]], 2, "地址"),
        ([ROWS[0], ROWS[0]], 3, "工单编号"),
        ([["12345-9", "2099-03-02 09:00", "甲", "", "路灯不亮", "芦席汇社区", ""]], 2, "来电时间"),
    ],
)
def test_a_bad_row_rejects_the_whole_batch(client, world, rows, row, column):
    client.force_login(world.district_dispatcher)
    r = upload(client, "b.csv", csv_bytes([ROWS[1], *rows]))
    assert r.status_code == 422 and r.json()["code"] == "invalid_rows"
    errors = r.json()["errors"]
    assert {"row": row + 1, "column": column} == {k: errors[0][k] for k in ("row", "column")}
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "name,data,code",
    [
        ("b.csv", "编号,内容\n1,2\n".encode(), "bad_headers"),
        ("b.csv", b"", "empty_file"),
        ("b.xlsx", b"PK\x03\x04 not really a workbook", "bad_file"),
        ("b.pdf", b"%PDF-1.4", "bad_file"),
    ],
)
def test_bad_files(client, world, name, data, code):
    client.force_login(world.district_dispatcher)
    r = upload(client, name, data)
    assert r.status_code == 422 and r.json()["code"] == code
    assert Case.objects.count() == 0


def test_only_the_command_centre_imports(client, world):
    client.force_login(world.grid_worker)
    assert upload(client, "b.csv", csv_bytes()).status_code == 403


def test_import_cases_command(world, tmp_path, django_capture_on_commit_callbacks):
    f = tmp_path / "batch.csv"
    f.write_bytes(csv_bytes())
    out = io.StringIO()
    call_command("import_cases", str(f), stdout=out)
    assert "新建 3 件" in out.getvalue()
    out = io.StringIO()
    call_command("import_cases", str(f), stdout=out)
    assert "跳过 3 件" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["x", "不是时间", "", "", "内容", "芦席汇社区", ""]]))
    with pytest.raises(CommandError):
        call_command("import_cases", str(bad), stderr=io.StringIO())
    # Hotline callers hear back by SMS at public steps.
    from .conftest import move

    case = Case.objects.get(external_id="12345-001")
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "accept", world.dispatcher)
    assert SmsLog.objects.filter(case_id=case.pk, phone_masked="139****1111").count() == 1
