"""The contact card PDF: text, A6 size, embedded Chinese font, cache keyed
on what is printed; the street's batch; the grid map and the pages."""

import io

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from wangge.serviceteams import cards, services
from wangge.teams.models import Department
from wangge.teams.tests.world import make_building

from .helpers import make_place


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(p.extract_text() for p in reader.pages)


def _fonts(reader: PdfReader) -> list[dict]:
    out = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc in font.get("/DescendantFonts", []):
                d = desc.get_object()["/FontDescriptor"].get_object()
                out.append(
                    {
                        "name": str(font["/BaseFont"]),
                        "embedded": any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")),
                    }
                )
    return out


@pytest.fixture
def grid_team(tree, make_staff):
    grid = tree.grid_a1a_1
    leader = make_staff("grid_leader", grid, name="陈网格长", phone="13700001111")
    make_staff("grid_worker", grid, name="周专职", phone="13700002222")
    make_staff("micro_grid_leader", tree.mg_a1a_1_1, name="吴微网格长", phone="13700003333")
    cadre = make_staff("community_cadre", tree.community_a1a, name="社区书记", phone="13700004444")
    Department.objects.create(
        name="解放街道综治中心",
        level="street",
        area=tree.street_a1,
        area_path=tree.street_a1.path,
        phone="0573-82011111",
    )
    return {"grid": grid, "leader": leader, "cadre": cadre}


def test_card_prints_team_phones_promises_hotline_with_embedded_font(grid_team, tree):
    grid = grid_team["grid"]
    pdf, card = cards.grid_card_pdf(actor=grid_team["cadre"], grid=grid)
    reader, text = _text(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (298, 420)  # A6 in points
    for expected in (
        "民情联系卡",
        "芦席汇社区第一网格",
        grid.code,
        "网格长",
        "陈网格长",
        "13700001111",  # staff work phones are not masked
        "专职网格员",
        "13700002222",
        "吴微网格长",
        "有事找网格",
        "解放街道综治中心监督电话",
        "0573-82011111",
    ):
        assert expected in text, expected
    fonts = _fonts(reader)
    assert fonts and all(f["embedded"] for f in fonts)
    assert any("CJK" in f["name"] for f in fonts)
    assert card.qr_url.endswith(f"/m/?grid={grid.code}")


def test_a_large_team_still_fits_one_a6_page(grid_team, tree, make_staff):
    grid = grid_team["grid"]
    for i in range(20):
        make_staff("grid_assistant", tree.mg_a1a_1_2, name=f"楼长{i:02d}", phone=f"137100{i:05d}")
    pdf, card = cards.grid_card_pdf(actor=grid_team["cadre"], grid=grid)
    reader, text = _text(pdf)
    assert len(reader.pages) == 1
    assert len(card.members) == cards.MAX_MEMBERS_PRINTED and card.more_members == 21 - 16
    assert "另有 5 名网格成员" in text and "陈网格长" in text and "0573-82011111" in text


def test_card_is_cached_until_the_team_changes(grid_team, tree, make_staff):
    grid, cadre = grid_team["grid"], grid_team["cadre"]
    _, first = cards.grid_card_pdf(actor=cadre, grid=grid)
    name = f"cards/{grid.code}-{first.key()}.pdf"
    assert default_storage.exists(name)
    _, again = cards.grid_card_pdf(actor=cadre, grid=grid)
    assert again.key() == first.key()
    make_staff("part_time_worker", grid, name="郑兼职", phone="13700005555")
    pdf, changed = cards.grid_card_pdf(actor=cadre, grid=grid)
    assert changed.key() != first.key()
    assert "郑兼职" in _text(pdf)[1]


def test_card_profile_and_service_team_change_the_card(grid_team, tree):
    grid, cadre = grid_team["grid"], grid_team["cadre"]
    services.card_profile_set(
        actor=cadre,
        area=tree.community_a1a,
        promises=["一呼即应", "件件有回音"],
        hotline="0573-82099999",
    )
    team = services.team_create(
        actor=cadre,
        area=tree.community_a1a,
        name="法律服务团",
        kind="professional",
        services=["法律服务"],
    )
    services.team_grids_set(actor=cadre, team=team, grid_ids=[grid.pk])
    services.team_member_add(
        actor=cadre, team=team, name="钱律师", work_phone="13900008888", is_leader=True
    )
    card = cards.card_data(actor=cadre, grid=grid)
    assert card.promises == ["一呼即应", "件件有回音"]
    assert (card.hotline, card.hotline_label) == ("0573-82099999", "芦席汇社区监督电话")
    assert [(t.name, t.services, t.contact) for t in card.service_teams] == [
        ("法律服务团", "法律服务", "钱律师 13900008888")
    ]


def test_bad_card_profile_changes_nothing(tree, grid_team):
    from wangge.core.errors import DomainError
    from wangge.serviceteams.models import CardProfile

    with pytest.raises(DomainError) as err:
        services.card_profile_set(
            actor=grid_team["cadre"], area=tree.community_a1a, promises=[], hotline="热线"
        )
    assert err.value.code == "invalid_hotline" and "监督电话" in err.value.message
    assert not CardProfile.objects.exists()


def test_street_batch_has_one_page_per_grid(grid_team, tree, client, make_staff):
    street = make_staff("street_cadre", tree.street_a1)
    client.force_login(street)
    response = client.get(f"/areas/{tree.street_a1.pk}/cards.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader, text = _text(response.content)
    assert len(reader.pages) == 3  # the street's three grids, in path order
    assert (
        text.index("芦席汇社区第一网格")
        < text.index("嘉兴一中专属网格")
        < text.index("新塍村第一网格")
    )
    # Outside the street cadre's areas: not found.
    assert client.get(f"/areas/{tree.street_b1.pk}/cards.pdf").status_code == 404
    # A grid is not a batch.
    assert client.get(f"/areas/{tree.grid_a1a_1.pk}/cards.pdf").status_code == 422


def test_card_page_scope(grid_team, tree, client, make_staff):
    foreign = make_staff("grid_worker", tree.grid_b1a_1)
    client.force_login(foreign)
    assert client.get(f"/grids/{tree.grid_a1a_1.pk}/card.pdf").status_code == 404
    client.logout()
    assert client.get(f"/grids/{tree.grid_a1a_1.pk}/card.pdf").status_code == 302


def test_grid_map_page_lists_micro_grids_and_facilities(tree, client, grid_team):
    make_building(tree.grid_a1a_1, tree.mg_a1a_1_1, name="5幢")
    make_place(
        tree,
        name="芦席汇党群服务站",
        kind="social",
        uscc="91330402MA0000001X",
        address="中山路1号",
        lng=120.1,
        lat=30.1,
    )
    make_place(
        tree,
        name="芦席汇卫生服务站",
        kind="hospital",
        uscc="91330402MA0000002X",
        address="中山路2号",
        contact_phone="13811112222",
    )
    client.force_login(grid_team["leader"])
    html = client.get(f"/grids/{tree.grid_a1a_1.pk}/map/").content.decode()
    assert "网格示意图" in html and "1号微网格" in html and "2号微网格" in html
    assert "芦席汇党群服务站" in html and "芦席汇卫生服务站" in html and "5幢" in html
    assert "13811112222" not in html  # no contact phones on the published map
    assert "@media print" in html


def test_console_and_worker_pages(tree, client, grid_team, make_staff):
    cadre = grid_team["cadre"]
    team = services.team_create(
        actor=cadre, area=tree.community_a1a, name="家电维修队", kind="volunteer"
    )
    client.force_login(cadre)
    html = client.get(f"/console/serviceteams/?area={tree.community_a1a.pk}").content.decode()
    assert "家电维修队" in html and "打印本村社区全部民情联系卡" in html
    response = client.post(
        "/console/serviceteams/",
        {"area": tree.community_a1a.pk, "date": "2026-12-05", "theme": ""},
        follow=True,
    )
    assert "请填写服务日主题" in response.content.decode()
    response = client.post(
        "/console/serviceteams/",
        {"area": tree.community_a1a.pk, "date": "2026-12-05", "theme": "关爱老人"},
        follow=True,
    )
    assert "已保存服务日" in response.content.decode() and "关爱老人" in response.content.decode()
    assert team.pk
    client.force_login(grid_team["leader"])
    html = client.get("/w/serviceteams/").content.decode()
    assert "民情联系卡" in html and "网格示意图" in html
