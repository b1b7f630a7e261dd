"""Scope-matrix entries for /api/v1/points and the points admin (see
teams/tests/matrix.py). Each side gets a shop with an item in its community,
a resident account with 100 points and a pending redemption."""

from __future__ import annotations

from wangge.teams.tests.matrix import AdminObject, Principal, Route

KEEPERS = {"community_cadre", "street_cadre", "city_admin"}
AWARDERS = {"grid_leader", "grid_worker", "community_cadre", "street_cadre", "city_admin"}


def side_voter(side, matrix):
    """A verified resident user living in the side's household: on the own
    side the matrix's resident principal, elsewhere one made here."""
    if "voter" not in side.extra:
        if side is matrix.world.own:
            from wangge.accounts.models import User

            side.extra["voter"] = User.objects.get(pk=matrix.principal("resident").user.pk)
        else:
            from wangge.points.tests.people import verified_user
            from wangge.teams.tests.world import make_resident

            resident = make_resident(side.household, name=f"{side.grid.name}议事居民")
            side.extra["voter"] = verified_user(resident, grid=side.grid)
    return side.extra["voter"]


def populate(side, matrix) -> None:
    from wangge.points import services
    from wangge.points.models import EntryKind, PointsEntry, Shop, ShopItem

    voter = side_voter(side, matrix)
    services.rules_ensure(side.city)
    shop = Shop.objects.create(community=side.community, name=f"{side.community.name}积分超市")
    side.extra["shop"] = shop
    side.extra["item"] = ShopItem.objects.create(
        shop=shop, name=f"{side.community.name}大米", price=10, stock=50
    )
    resident = voter.resident
    side.extra["points_entry"] = PointsEntry.objects.create(
        resident=resident,
        grid_id=resident.grid_id,
        district_id=resident.district_id,
        area_path=resident.area_path,
        kind=EntryKind.CORRECTION,
        amount=100,
        reason="矩阵初始积分",
    )
    side.extra["redemption"] = services.redemption_create(
        actor=voter, item_id=side.extra["item"].pk
    )


def _is(p: Principal, roles) -> bool:
    return p.kind == "staff" and p.role in roles


def me_expect(p: Principal, m) -> int:
    return 200 if p.kind == "resident" or p.role == "part_time_worker" else 403


def redeem_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 201
    return 409 if p.role == "part_time_worker" else 403  # a worker with no points yet


def covers_community(p: Principal, m) -> bool:
    return p.covers(m.world.own.community)


def check_expect(p: Principal, m) -> int:
    return 200 if _is(p, KEEPERS) and covers_community(p, m) else 404


def cancel_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 200
    return 200 if _is(p, KEEPERS) and covers_community(p, m) else 404


def award_expect(p: Principal, m) -> int:
    if p.kind == "resident" or not p.covers(m.world.own.micro_grid):
        return 404
    return 201 if p.role in AWARDERS else 403


def ranking_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 200
    return 200 if p.covers(m.world.own.grid) else 404


def _rule(side):
    from wangge.points.models import PointsRule

    return PointsRule.objects.filter(city=side.city).order_by("pk").first()


PARAMS = {"redemption_id": lambda s, p, m: s.extra["redemption"].pk}

ROUTES = {
    "GET /points/me": Route(expect=me_expect),
    "GET /points/shops": Route(),
    "GET /points/redemptions": Route(),
    "POST /points/redemptions": Route(
        body=lambda s, p, m: {"item_id": s.extra["item"].pk},
        objects=True,
        expect=redeem_expect,
        foreign_expect=lambda p, m: (
            404 if p.kind == "resident" or p.role == "part_time_worker" else 403
        ),
    ),
    "POST /points/redemptions/check": Route(
        body=lambda s, p, m: {"code": s.extra["redemption"].code}, objects=True, expect=check_expect
    ),
    "POST /points/redemptions/{redemption_id}/cancel": Route(expect=cancel_expect),
    "POST /points/awards": Route(
        body=lambda s, p, m: {"resident_id": s.resident.pk, "hours": 2, "note": "清扫楼道"},
        objects=True,
        expect=award_expect,
    ),
    "GET /points/rankings": Route(
        query=lambda s, p, m: {"area_id": s.grid.pk}, objects=True, expect=ranking_expect
    ),
}

ADMIN_OBJECTS = {
    "points.pointsrule": AdminObject(lambda s, p, m: _rule(s), lambda o: o.area_path),
    "points.pointsentry": AdminObject(
        lambda s, p, m: s.extra["points_entry"], lambda o: o.area_path
    ),
    "points.shop": AdminObject(lambda s, p, m: s.extra["shop"], lambda o: o.area_path),
    "points.shopitem": AdminObject(lambda s, p, m: s.extra["item"], lambda o: o.area_path),
    "points.redemption": AdminObject(lambda s, p, m: s.extra["redemption"], lambda o: o.area_path),
}
