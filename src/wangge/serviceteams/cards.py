"""民情联系卡: one A6 card per grid, as PDF with the Chinese font embedded.

The card shows the grid's name and code, its team (1+1+1+N, from
teams.selectors.grid_team: staff work phones in clear), the service teams
serving it, the service promises (the nearest CardProfile up the tree that
has some, else WANGGE_CARD_PROMISES), the supervision hotline of the level
above the grid (the nearest CardProfile above the grid with a hotline, else
the nearest department's duty phone above it, else
WANGGE_SUPERVISION_HOTLINE) and a QR code to the resident H5 page.

Rendering is cached in the default storage under a key that is the SHA-256
of everything printed: a change in the team, a phone, a promise or the
hotline gives a new key, hence a fresh card; an unchanged team reuses the
file. A street's cards are one multi-page PDF (one WeasyPrint run: the font
is subset and embedded once)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.teams.models import Department
from wangge.teams.selectors import GridTeam, grid_team, published_grid_team

from .models import CardProfile, ServiceTeam
from .selectors import team_members, teams_serving_grid

# Bump when the template changes: old cached cards are then not reused.
CARD_VERSION = 3
# What fits on A6: the core team in full, then this many of the N (two
# columns), the rest counted; at most this many service teams and promises.
MAX_MEMBERS_PRINTED = 16
MAX_TEAMS_PRINTED = 3
MAX_PROMISES_PRINTED = 3
DEFAULT_PROMISES = [
    "有事找网格，服务零距离",
    "小事不出网格，大事不出社区",
    "群众诉求 24 小时内回应",
]


@dataclass
class CardRow:
    role: str
    name: str
    phone: str


@dataclass
class CardTeam:
    name: str
    kind: str
    services: str
    contact: str


@dataclass
class Card:
    grid_id: int
    grid_code: str
    grid_name: str
    place: str  # street · community
    team: list[CardRow] = field(default_factory=list)
    members: list[CardRow] = field(default_factory=list)
    more_members: int = 0
    service_teams: list[CardTeam] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)
    hotline: str = ""
    hotline_label: str = ""
    qr_url: str = ""

    def key(self) -> str:
        raw = json.dumps([CARD_VERSION, asdict(self)], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def public_url() -> str:
    return getattr(settings, "WANGGE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def resident_page_url(grid: Area) -> str:
    """The grid's resident H5 page (the QR code's target)."""
    return f"{public_url()}/m/?grid={grid.code}"


def _profiles(paths: list[str]) -> dict[str, CardProfile]:
    return {p.area_path: p for p in CardProfile.objects.filter(area_path__in=paths)}


def card_data(*, actor, grid: Area, _ancestors: dict[str, Area] | None = None, _team=None) -> Card:
    """Everything printed on the card (the caller has checked access)."""
    chain = ancestor_paths(grid.path)
    ancestors = _ancestors or {a.path: a for a in Area.objects.filter(path__in=chain)}
    team = _team if _team is not None else grid_team(actor=actor, grid=grid)
    rows = [
        CardRow(role=m.role_label, name=m.name, phone=m.phone)
        for m in (team.leader, team.worker, team.instructor)
        if m is not None
    ]
    members = [
        CardRow(
            role=m.role_label if m.area_id == grid.pk else f"{m.area_name}{m.role_label}",
            name=m.name,
            phone=m.phone,
        )
        for m in team.members
    ]
    teams = []
    for t in teams_serving_grid(grid=grid):
        teams.append(
            CardTeam(
                name=t.name,
                kind=str(ServiceTeam.Kind(t.kind).label),
                services="、".join(t.service_list[:4]),
                contact=t.phone or _leader_phone(t),
            )
        )
    profiles = _profiles([*chain, grid.path])
    promises = DEFAULT_PROMISES
    promises = list(getattr(settings, "WANGGE_CARD_PROMISES", promises))
    for p in [grid.path, *reversed(chain)]:
        if p in profiles and profiles[p].promises.strip():
            promises = [x for x in profiles[p].promises.splitlines() if x.strip()]
            break
    hotline, label = _hotline(grid, chain, profiles, ancestors)
    names = [ancestors[p].name for p in chain if p in ancestors]
    return Card(
        grid_id=grid.pk,
        grid_code=grid.code,
        grid_name=grid.name,
        place=" · ".join(names[-2:]),
        team=rows,
        members=members[:MAX_MEMBERS_PRINTED],
        more_members=max(0, len(members) - MAX_MEMBERS_PRINTED),
        service_teams=teams[:MAX_TEAMS_PRINTED],
        promises=promises[:MAX_PROMISES_PRINTED],
        hotline=hotline,
        hotline_label=label,
        qr_url=resident_page_url(grid),
    )


def public_card(*, code: str) -> tuple[Card, GridTeam]:
    """What the card of the grid `code` prints, for anyone holding the card
    (the page its QR code opens, logged in or not), with the whole team
    (the card prints 16 of the N and says "扫码查看" for the rest). Nothing
    beyond what the card publishes: no resident data. 404 for an unknown or
    inactive grid."""
    from wangge.core.errors import DomainError

    grid = Area.objects.filter(code=(code or "")[:18], level=Level.GRID, is_active=True).first()
    if grid is None:
        raise DomainError("not_found", "未找到该网格，请核对联系卡上的二维码", status=404)
    team = published_grid_team(grid=grid)
    return card_data(actor=None, grid=grid, _team=team), team


def _leader_phone(team: ServiceTeam) -> str:
    for m in team_members(team=team):
        if m["is_leader"] and m["source"] != "resident" and m["phone"]:
            return f"{m['name']} {m['phone']}"
    return ""


def _hotline(grid, chain, profiles, ancestors) -> tuple[str, str]:
    for p in reversed(chain):
        if p in profiles and profiles[p].hotline:
            return profiles[
                p
            ].hotline, f"{ancestors[p].name}监督电话" if p in ancestors else "监督电话"
    dept = (
        Department.objects.filter(area_path__in=chain, is_active=True)
        .exclude(phone="")
        .order_by("-area_path", "pk")
        .first()
    )
    if dept is not None:
        return dept.phone, f"{dept.name}监督电话"
    return str(getattr(settings, "WANGGE_SUPERVISION_HOTLINE", "12345")), "政务服务热线"


# ------------------------------------------------------------------ rendering


def _qr_png(url: str) -> str:
    """The QR code as a PNG data URI (drawn pixelated: sharp in print). A
    raster costs WeasyPrint nothing to draw; an SVG path was ~10 % of a
    street batch's CPU."""
    import segno

    return segno.make(url, error="m").png_data_uri(scale=4, border=1)


def _pairs(members: list[CardRow]) -> list[tuple[CardRow, CardRow | None]]:
    """The N in two columns, filled down the left column first — a table
    row per pair (CSS columns were ~40 % of a street batch's layout time)."""
    half = (len(members) + 1) // 2
    left, right = members[:half], members[half:]
    return [(a, right[i] if i < len(right) else None) for i, a in enumerate(left)]


def render_cards_pdf(cards: list[Card]) -> bytes:
    """One HTML document with every card (one page each): WeasyPrint loads
    and subsets the CJK font once for the whole batch."""
    from weasyprint import HTML

    html = render_to_string(
        "serviceteams/card.html",
        {"cards": [(c, _qr_png(c.qr_url), _pairs(c.members)) for c in cards]},
    )
    return HTML(string=html).write_pdf()


def _cached(name: str, make) -> bytes:
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as f:
            return f.read()
    pdf = make()
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(pdf))
    return pdf


def grid_card_pdf(*, actor, grid: Area) -> tuple[bytes, Card]:
    """One grid's card; regenerated only when what it prints has changed."""
    card = card_data(actor=actor, grid=grid)
    name = f"cards/{grid.code}-{card.key()}.pdf"
    return _cached(name, lambda: render_cards_pdf([card])), card


def street_cards_pdf(*, actor, area: Area) -> tuple[bytes, list[Card]]:
    """All active grids under a street (or community), one card a page, in
    path order; cached under the key of all cards together."""
    if area.level not in (Level.STREET, Level.COMMUNITY):
        from wangge.core.errors import DomainError

        raise DomainError("invalid_level", "批量打印只支持镇街或村社区", status=422)
    grids = list(
        Area.objects.filter(subtree_q(area.path), level=Level.GRID, is_active=True).order_by("path")
    )
    chains = {p for g in grids for p in ancestor_paths(g.path)}
    ancestors = {a.path: a for a in Area.objects.filter(path__in=chains)}
    cards = [card_data(actor=actor, grid=g, _ancestors=ancestors) for g in grids]
    digest = hashlib.sha256("".join(c.key() for c in cards).encode()).hexdigest()[:32]
    name = f"cards/{area.code}-all-{digest}.pdf"
    return _cached(name, lambda: render_cards_pdf(cards)), cards
