"""Every people export names who exported it and when: Excel in the document
properties and every sheet's header/footer, CSV in a last column on every
row (which the importer ignores, so an export still imports back)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from wangge.accounts.services import token_issue
from wangge.people.importers import import_file
from wangge.teams.roles import Role
from wangge.testing.watermarks import check_xlsx, minutes_between


def _check_xlsx(data: bytes, username: str, name: str, minutes: set[str]) -> None:
    check_xlsx(data, username=username, name=name, minutes=minutes)
    # no note row: the first row is still the import layout's header
    assert load_workbook(io.BytesIO(data)).worksheets[0]["A1"].value == "网格编码"


@pytest.mark.django_db
def test_api_exports_carry_user_and_time(client, make_staff, world):
    worker = make_staff(Role.GRID_WORKER, world.tree.grid_a1a_1, username="wgy_mark",
                        name="马网格")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=worker, label='t')}"}
    area = world.tree.grid_a1a_1.pk
    before = timezone.now()
    xlsx = client.get(f"/api/v1/people/export/residents?area={area}", **headers)
    csv_resp = client.get(f"/api/v1/people/export/residents?area={area}&format=csv&clear=true"
                          "&reason=备份", **headers)
    minutes = minutes_between(before, timezone.now())
    assert xlsx.status_code == 200 and csv_resp.status_code == 200
    _check_xlsx(b"".join(xlsx.streaming_content), "wgy_mark", "马网格", minutes)

    data = b"".join(csv_resp.streaming_content)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "导出水印" and len(rows) == 1 + 3
    for row in rows[1:]:
        assert "马网格（wgy_mark）" in row[-1] and any(m in row[-1] for m in minutes)
    # the watermark column does not stop a clear export from importing back
    report = import_file(actor=worker, kind="residents", name="back.csv", data=data,
                         dry_run=True)
    assert report.ok, report.errors
    assert report.unchanged == 3


@pytest.mark.django_db
def test_export_command_carries_the_actor_and_time(make_staff, world, tmp_path):
    make_staff(Role.COMMUNITY_CADRE, world.tree.community_a1a, username="sq_mark", name="社区甲")
    before = timezone.now()
    for suffix in ("xlsx", "csv"):
        call_command("export_data", kind="residents", area=world.tree.community_a1a.code,
                     actor="sq_mark", out=str(tmp_path / f"r.{suffix}"), stdout=io.StringIO())
    minutes = minutes_between(before, timezone.now())
    _check_xlsx((tmp_path / "r.xlsx").read_bytes(), "sq_mark", "社区甲", minutes)
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    assert all("社区甲（sq_mark）" in line for line in lines[1:]) and len(lines) > 1
