"""The contact card's QR target: /m/?grid=<code> opens the grid's page for
anyone (logged in or not) with what the card prints, and its report button
files the case in that grid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from wangge.cases.models import Case
from wangge.serviceteams import cards
from wangge.teams.tests.world import make_building, make_household, make_resident

PASSWORD = "Jumin-Mima-2026"


@pytest.fixture
def card_grid(tree, make_staff):
    grid = tree.grid_a1a_1
    make_staff("grid_leader", grid, name="张网格长", phone="13700000001")
    make_staff("grid_worker", grid, name="李专职", phone="13700000002")
    make_staff("micro_grid_leader", tree.mg_a1a_1_1, name="周楼长", phone="13700000003")
    hh = make_household(make_building(grid, tree.mg_a1a_1_1))
    make_resident(hh, name="钱大妈", phone="13812345678")
    return grid


def test_the_qr_target_opens_the_grid_page_logged_out(client, card_grid, tree):
    r = client.get(f"/m/?grid={card_grid.code}")
    assert r.status_code == 302 and r["Location"] == f"/m/grid/{card_grid.code}/"
    r = client.get(r["Location"])
    html = r.content.decode()
    assert r.status_code == 200
    card = cards.card_data(
        actor=None, grid=card_grid, _team=cards.published_grid_team(grid=card_grid)
    )
    # everything the card prints is there …
    for row in card.team + card.members:
        assert row.name in html and row.phone in html
    for text in (card.grid_name, card.grid_code, card.hotline, *card.promises):
        assert text in html
    assert f"/m/report/?grid={card_grid.code}" in html
    # … and no resident data, nor another grid's team
    assert "钱大妈" not in html and "13812345678" not in html
    # unknown and inactive grids: 404 in Chinese
    r = client.get("/m/grid/NOPE/")
    assert r.status_code == 404 and "未找到该网格" in r.content.decode()
    card_grid.is_active = False
    card_grid.save(update_fields=["is_active"])
    assert client.get(f"/m/grid/{card_grid.code}/").status_code == 404
    # a community is not a grid
    assert client.get(f"/m/grid/{tree.community_a1a.code}/").status_code == 404


def test_a_logged_in_residents_report_is_prefilled_with_the_scanned_grid(client, card_grid, tree):
    from wangge.accounts.services import resident_register

    u = resident_register(
        phone="13912345670", password=PASSWORD, name="外网格居民", grid=tree.grid_a1b_1
    )
    client.force_login(u)
    assert client.get(f"/m/?grid={card_grid.code}").status_code == 302
    html = client.get(f"/m/report/?grid={card_grid.code}").content.decode()
    assert f"报事网格：{card_grid.name}" in html and f'name="grid" value="{card_grid.code}"' in html
    # without a card: the home grid, no hidden field
    html = client.get("/m/report/").content.decode()
    assert "报事网格" not in html and tree.grid_a1b_1.name in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_scanning_a_card_logged_out_and_reporting_in_that_grid(live_server, page, card_grid, tree):
    from wangge.accounts.services import resident_register

    resident_register(
        phone="13912345670", password=PASSWORD, name="外网格居民", grid=tree.grid_a1b_1
    )
    page.set_default_timeout(60000)  # the shared machine can be slow
    page.set_viewport_size({"width": 375, "height": 812})
    base = live_server.url
    page.goto(f"{base}/m/?grid={card_grid.code}")  # what the QR code encodes
    expect(page).to_have_url(f"{base}/m/grid/{card_grid.code}/")
    expect(page.get_by_role("heading", name=card_grid.name)).to_be_visible()
    team = page.get_by_test_id("grid-team")
    expect(team).to_contain_text("网格长 张网格长 13700000001")
    expect(team.get_by_role("link", name="13700000002")).to_have_attribute(
        "href", "tel:13700000002"
    )
    expect(page.get_by_test_id("promises")).to_contain_text("有事找网格")
    expect(page.get_by_test_id("hotline")).to_contain_text("12345")
    assert "钱大妈" not in page.content()

    page.get_by_test_id("report-here").click()
    expect(page).to_have_url(re.compile(r"/m/login/"))
    page.get_by_label("手机号").fill("13912345670")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("scanned-grid")).to_have_text(
        f"报事网格：{card_grid.name}（来自民情联系卡）"
    )
    page.get_by_label("问题描述").fill("楼道里堆满了杂物，影响通行")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/m/cases/\d+/\?new=1"))
    case = Case.objects.get()
    assert case.grid_id == card_grid.pk
