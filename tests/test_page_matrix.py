"""Every page URL (resident H5, grid worker, console, web, Open311, and the
pages other apps add) against every role, on the user's own side and on a
foreign side — the page counterpart of tests/test_scope_matrix.py.

The URLs are read from Django's URL resolver (everything outside /admin/ and
/api/v1/, which the API matrix covers), so a new page is in this test the day
it appears, and FAILS here until PAGES (or the app's
`wangge.<app>.tests.scope_matrix.PAGES`) says how to build its parameters.

For each page and each user (every role, a verified resident, an anonymous
visitor), what must hold:
- anonymous: never served (a redirect to a login page, 401, 403 or 405) unless
  the page is public;
- a foreign object (district B, or the other city for city-wide roles) is never
  served: 404 whenever the same user is served the own object, and a
  refusal (302/401/403/404/405) otherwise — never 2xx;
- at least one user is served the own object (so the foreign 404 means
  something);
- no answer, own or foreign, carries a marker of the foreign side's data;
- no 5xx anywhere.
Exact per-role allow/deny on the API is in tests/test_scope_matrix.py; the
pages call the same services and selectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import test_scope_matrix
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from wangge.teams.tests.matrix import Matrix, Principal, own_area
from wangge.teams.tests.world import Side

CONTRIB = test_scope_matrix.CONTRIB
matrix = test_scope_matrix.matrix  # the same world and users as the API matrix

PageBuilder = Callable[[Side, Principal, Matrix], object]


@dataclass(frozen=True)
class Page:
    params: dict[str, PageBuilder] = field(default_factory=dict)
    method: str = "GET"
    data: PageBuilder | None = None  # POST form fields
    public: bool = False  # served to anyone (the foreign side too: public data)
    # Not restricted to the user's areas by design (public data, a resident's
    # city-wide choice of area): no foreign check, no marker check.
    scoped: bool = True
    # Pages with no object of their own still show data: markers checked.
    objects: bool | None = None


PARAMS: dict[str, PageBuilder] = {
    "case_id": lambda s, p, m: s.extra["case"].pk,
    "area_id": lambda s, p, m: own_area(s, p, m).pk,
    "grid_id": lambda s, p, m: s.grid.pk,
    "household_id": lambda s, p, m: s.household.pk,
    "resident_id": lambda s, p, m: s.resident.pk,
    "notice_id": lambda s, p, m: s.extra["notice"].pk,
    "move": lambda s, p, m: "accept",
    "topic_id": lambda s, p, m: s.extra["topic"].pk,
    "comment_id": lambda s, p, m: s.extra["comment"].pk,
    "campaign_id": lambda s, p, m: s.extra["campaign"].pk,
    "redemption_id": lambda s, p, m: s.extra["redemption"].pk,
    "venue_id": lambda s, p, m: s.extra["venue"].pk,
    "booking_id": lambda s, p, m: s.extra["booking"].pk,
    "action": lambda s, p, m: "accept",
    "department_id": lambda s, p, m: s.department.pk,
    "size": lambda s, p, m: 192,
    "fmt": lambda s, p, m: "json",
}
NOT_OBJECTS = {"move", "size", "fmt", "code", "token", "action"}

PUBLIC = Page(public=True, scoped=False)


def _community(s: Side, p: Principal, m: Matrix):
    """Map layers and card batches are drawn for a community or above (a
    micro-grid is refused as too small: 422)."""
    return s.community.pk


_EVAL_CAMPAIGN = {"campaign_id": lambda s, p, m: s.extra["eval_campaign"].pk}

PAGES: dict[str, Page] = {
    # web
    "/": PUBLIC,  # the landing page: a sign-in link for visitors
    "/accounts/login/": PUBLIC,
    "/accounts/logout/": Page(method="POST", public=True, scoped=False),
    "/map/<int:area_id>/": Page(),
    # resident H5
    "/m/": Page(),
    "/m/login/": PUBLIC,
    "/m/login/code/": Page(
        method="POST", public=True, scoped=False, data=lambda s, p, m: {"username": "13800009999"}
    ),
    "/m/logout/": PUBLIC,
    "/m/register/": PUBLIC,
    "/m/register/areas/": PUBLIC,
    "/m/register/locate/": PUBLIC,
    "/m/report/": Page(),
    "/m/cases/": Page(),
    "/m/cases/<int:case_id>/": Page(),
    "/m/cases/<int:case_id>/rate/": Page(method="POST", data=lambda s, p, m: {"rating": "5"}),
    "/m/discuss/": Page(),
    "/m/notices/": Page(),
    "/m/notices/<int:notice_id>/": Page(),
    "/m/services/": Page(),
    "/m/ratings/": Page(),
    "/m/discuss/<int:topic_id>/": Page(),
    "/m/discuss/<int:topic_id>/vote/": Page(method="POST", data=lambda s, p, m: {}),
    "/m/discuss/<int:topic_id>/comment/": Page(
        method="POST", data=lambda s, p, m: {"text": "同意"}
    ),
    "/m/discuss/campaigns/<int:campaign_id>/": Page(),
    "/m/points/": Page(),
    "/m/surveys/": Page(),
    "/m/surveys/<int:survey_id>/": Page(),
    "/m/points/redeem/": Page(method="POST", data=lambda s, p, m: {}),
    "/m/points/redemptions/<int:redemption_id>/cancel/": Page(
        method="POST", data=lambda s, p, m: {}
    ),
    "/m/services/venues/<int:venue_id>/": Page(),
    "/m/services/bookings/<int:booking_id>/cancel/": Page(method="POST", data=lambda s, p, m: {}),
    # participation (deliberation) and party pages
    "/participation/topics/": Page(),
    "/participation/topics/<int:topic_id>/<str:action>/": Page(
        method="POST", data=lambda s, p, m: {}
    ),
    "/participation/comments/<int:comment_id>/moderate/": Page(
        method="POST", data=lambda s, p, m: {}
    ),
    "/participation/codes/check/": Page(method="POST", data=lambda s, p, m: {}),
    "/participation/awards/": Page(),
    "/w/participation/": Page(),
    "/console/participation/": Page(),
    "/w/party/": Page(),
    "/console/party/": Page(),
    "/console/staffing/": Page(),
    "/console/staffing/workers/<int:worker_id>/": Page(),
    "/w/staffing/": Page(),
    # grid worker
    "/w/": Page(),
    "/w/cases/": Page(),
    "/w/cases/<int:case_id>/": Page(),
    "/w/report/": Page(),
    "/w/proxy/": Page(),
    "/w/people/": Page(),
    "/w/households/<int:household_id>/": Page(),
    "/w/residents/<int:resident_id>/": Page(),
    "/w/residents/<int:resident_id>/unmask/": Page(
        method="POST", data=lambda s, p, m: {"fields": "id_number", "reason": "入户核实"}
    ),
    "/w/suggest/": Page(),
    "/w/offline/": PUBLIC,  # the app's offline fallback (cached by the service worker)
    "/w/sync/report/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/sync/cases/<int:case_id>/<str:move>/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/presence/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/sw.js": PUBLIC,
    "/w/manifest.webmanifest": PUBLIC,
    "/w/icon-<int:size>.png": PUBLIC,
    "/w/notices/": Page(),
    "/w/notices/<int:notice_id>/": Page(),
    "/w/notices/sync/reach/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/emergency/": Page(),
    "/w/visits/": Page(),
    "/w/visits/sync/visit/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/visits/sync/care/": Page(method="POST", data=lambda s, p, m: {}),
    "/w/serviceteams/": Page(),
    "/m/activities/": Page(),  # a resident's own grid's activities
    # the contact card's QR page: what the card prints, for anyone
    "/m/grid/<str:code>/": Page(
        params={"code": lambda s, p, m: s.grid.code}, public=True, scoped=False
    ),
    # console
    "/console/": Page(),
    "/console/queue/": Page(),
    "/console/feed/": Page(),
    "/console/cases/<int:case_id>/": Page(),
    "/console/cases/<int:case_id>/moves/<str:move>/": Page(
        method="POST", data=lambda s, p, m: {"note": "受理"}
    ),
    "/console/map/<int:area_id>/shapes/": Page(params={"area_id": _community}),
    "/console/map/<int:area_id>/counts/": Page(params={"area_id": _community}),
    "/console/charts/": Page(),
    "/console/export/": Page(),
    "/console/notices/": Page(),
    "/console/notices/send/": Page(),
    "/console/notices/<int:notice_id>/": Page(),
    "/console/notices/<int:notice_id>/progress/": Page(),
    "/console/emergency/": Page(),
    "/console/emergency/start/": Page(),
    "/console/visits/": Page(),
    # 居民问卷: creating takes the area from the form (the foreign street: 404)
    "/console/surveys/": Page(),
    "/console/surveys/new/": Page(
        method="POST",
        objects=True,
        data=lambda s, p, m: {
            "name": "网格员知晓率调查",
            "area_id": s.street.pk,
            "start": "2026-11-01",
            "end": "2026-12-31",
            "q0": "您知道您的网格员是谁吗？",
            "a0": "1",
        },
    ),
    "/console/surveys/<int:survey_id>/": Page(),
    "/console/surveys/<int:survey_id>/open/": Page(method="POST", data=lambda s, p, m: {}),
    "/console/surveys/<int:survey_id>/close/": Page(method="POST", data=lambda s, p, m: {}),
    "/console/campaigns/": Page(),
    # campaign_id is the evaluation campaign here (the global builder is the
    # deliberation app's, for /m/discuss/campaigns/…).
    "/console/campaigns/<int:campaign_id>/": Page(params=_EVAL_CAMPAIGN),
    "/console/campaigns/<int:campaign_id>/rate/": Page(
        method="POST",
        params=_EVAL_CAMPAIGN,
        data=lambda s, p, m: {"target": f"d:{s.department.pk}", "score": "4"},
    ),
    "/console/campaigns/<int:campaign_id>/close/": Page(
        method="POST", params=_EVAL_CAMPAIGN, data=lambda s, p, m: {}
    ),
    "/console/serviceteams/": Page(),
    "/console/serviceteams/teams/new/": Page(),  # ?area= (without it: 404)
    "/console/serviceteams/teams/<int:team_id>/": Page(
        params={"team_id": lambda s, p, m: s.extra["st_team"].pk}
    ),
    "/console/party/orgs/new/": Page(),  # ?area= (without it: 404)
    "/console/party/orgs/<int:org_id>/": Page(
        params={"org_id": lambda s, p, m: s.extra["party_branch"].pk}
    ),
    "/console/party/members/<int:member_id>/": Page(
        params={"member_id": lambda s, p, m: s.extra["party_member"].pk}
    ),
    # printable grid cards and maps, the big screen
    "/grids/<int:grid_id>/card.pdf": Page(),
    "/grids/<int:grid_id>/map/": Page(),
    "/areas/<int:area_id>/cards.pdf": Page(params={"area_id": _community}),
    "/screen/": Page(),
    "/screen/<int:area_id>/": Page(),
    "/screen/<int:area_id>/data/": Page(),
    "/screen/<int:area_id>/feed/": Page(),
    "/screen/<int:area_id>/report.<str:fmt>": Page(params={"fmt": lambda s, p, m: "xlsx"}),
    "/screen/campaigns/<int:campaign_id>/departments/<int:department_id>/feedback.<str:fmt>": Page(
        params={
            "campaign_id": lambda s, p, m: s.extra["eval_campaign"].pk,
            "fmt": lambda s, p, m: "xlsx",
        }
    ),
    # Open311 GeoReport v2: a public interface by design (city-wide, no
    # personal data); its write path takes an API key (open311 tests).
    "/open311/v2/^discovery\\.(?P<fmt>[a-z]+)$": PUBLIC,
    "/open311/v2/^services\\.(?P<fmt>[a-z]+)$": PUBLIC,
    "/open311/v2/^services/(?P<code>[^/.]+)\\.(?P<fmt>[a-z]+)$": Page(
        public=True, scoped=False, params={"code": lambda s, p, m: s.extra["case"].category.code}
    ),
    "/open311/v2/^requests\\.(?P<fmt>[a-z]+)$": PUBLIC,
    "/open311/v2/^requests/(?P<request_id>[^/.]+)\\.(?P<fmt>[a-z]+)$": Page(
        public=True, scoped=False, params={"request_id": lambda s, p, m: s.extra["case"].number}
    ),
    "/open311/v2/^tokens/(?P<token>[^/.]+)\\.(?P<fmt>[a-z]+)$": Page(
        public=True, scoped=False, params={"token": lambda s, p, m: "unknown-token"}
    ),
}

# Pages whose objects the test world cannot build yet: strict xfails, so the
# entry must go once a builder exists (the owning app's scope_matrix
# `populate` puts the object in side.extra, and PARAMS learns its name).
NO_BUILDER = {
    "/w/emergency/<int:mode_id>/<int:grid_id>/": "no emergency mode in the test world",
    "/w/emergency/sync/<int:mode_id>/<int:household_id>/": "no emergency mode in the test world",
    "/console/emergency/<int:mode_id>/": "no emergency mode in the test world",
    "/console/emergency/<int:mode_id>/progress/": "no emergency mode in the test world",
    "/console/emergency/<int:mode_id>/assign/": "no emergency mode in the test world",
    "/console/emergency/<int:mode_id>/end/": "no emergency mode in the test world",
    "/w/serviceteams/activities/<int:activity_id>/": "no service activity in the test world",
    "/w/serviceteams/activities/<int:activity_id>/checkin/": "no service activity in the test world",
    "/notices/<int:notice_id>/files/<int:attachment_id>/": "no notice attachment in the test world",
}


# Known violations, each with what it waits for (not strict: the owning app
# may fix it at any time; the entry should then go).
KNOWN_VIOLATIONS: dict[str, str] = {}


def _contributed() -> tuple[dict[str, Page], dict[str, PageBuilder]]:
    import importlib

    pages, params = {}, {}
    for name in CONTRIB.modules:
        module = importlib.import_module(name)
        pages.update(getattr(module, "PAGES", {}))
        params.update(getattr(module, "PAGE_PARAMS", {}))
    return pages, params


_pages, _params = _contributed()
PAGES.update(_pages)
PARAMS.update(_params)


def page_urls() -> list[str]:
    """Every URL pattern outside /admin/ and /api/v1/, as written in urls.py."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(("admin/", "api/v1/")):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


ALL_PAGES = page_urls()


def _names(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route) and [
        a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
    ]


def _url(route: str, page: Page, side: Side, p: Principal, m: Matrix) -> str:
    url = route
    for name in _names(route):
        value = str((page.params.get(name) or PARAMS[name])(side, p, m))
        url = re.sub(r"<(?:\w+:)?" + name + ">", value, url)
        url = re.sub(r"\(\?P<" + name + r">[^)]*\)", value, url)
    # the regex routes of Open311
    return url.replace("^", "").replace("$", "").replace("\\.", ".")


def test_pages_are_discovered():
    assert "/m/cases/<int:case_id>/" in ALL_PAGES
    assert "/console/cases/<int:case_id>/moves/<str:move>/" in ALL_PAGES
    assert not any(u.startswith(("/admin/", "/api/v1/")) for u in ALL_PAGES)


@pytest.mark.parametrize("route", ALL_PAGES)
def test_every_page_has_an_entry(route):
    if route in NO_BUILDER:
        pytest.xfail(NO_BUILDER[route])
    assert route in PAGES, (
        f"page {route} has no entry in tests/test_page_matrix.py PAGES (or in the app's "
        "wangge.<app>.tests.scope_matrix PAGES): say how to build its parameters"
    )
    page = PAGES[route]
    for name in _names(route):
        assert name in page.params or name in PARAMS, f"{route}: no builder for <{name}>"


def test_no_stale_entries():
    assert set(PAGES) <= set(ALL_PAGES), sorted(set(PAGES) - set(ALL_PAGES))
    assert set(NO_BUILDER) <= set(ALL_PAGES), sorted(set(NO_BUILDER) - set(ALL_PAGES))


REFUSED = {302, 401, 403, 404, 405}


def _call(client, route: str, page: Page, side: Side, p: Principal, m: Matrix):
    with transaction.atomic():
        url = _url(route, page, side, p, m)
        if page.method == "POST":
            data = page.data(side, p, m) if page.data else {}
            response = client.post(url, data=data)
        else:
            response = client.get(url)
        body = b""
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        transaction.set_rollback(True)
    return response, url, body


def _leaks(body: bytes, response, p: Principal) -> list[str]:
    kind = response.get("Content-Type", "")
    if "pdf" in kind or "image" in kind or "spreadsheet" in kind:
        return []  # binary: compressed text; the PDF/export tests check their content
    text = body.decode("utf-8", "replace")
    return [marker for marker in p.markers if marker in text]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "login" in response.get("Location", "")


@pytest.mark.parametrize("route", [r for r in ALL_PAGES if r in PAGES])
def test_page_scope(client, matrix, route):
    if route in KNOWN_VIOLATIONS:
        pytest.xfail(KNOWN_VIOLATIONS[route])
    page = PAGES[route]
    takes_objects = (
        page.objects
        if page.objects is not None
        else any(n not in NOT_OBJECTS for n in _names(route))
    )
    failures, served_own, seen = [], 0, []
    for p in matrix.principals:
        client.logout()
        if p.user is not None:
            client.force_login(p.user)
        response, url, body = _call(client, route, page, p.own, p, matrix)
        status = response.status_code
        seen.append(f"{p.key}={status}")
        if status >= 500:
            failures.append(f"own     {p.key:18} {page.method} {url}: {status}")
        if p.kind == "anonymous":
            if not page.public and not (_is_login_redirect(response) or status in REFUSED - {302}):
                failures.append(f"anon    {page.method} {url}: {status} (served without login)")
            continue
        if page.scoped:
            leaked = _leaks(body, response, p)
            if leaked:
                failures.append(f"own     {p.key:18} {url}: foreign data {leaked}")
        # Reached the object: anything but a refusal (a 409 "not closed
        # yet" or a 422 on an empty form still means the object was found).
        own_served = status not in (401, 403, 404, 405) and not _is_login_redirect(response)
        served_own += own_served
        if not takes_objects or not page.scoped or p.foreign is None:
            continue
        response, url, body = _call(client, route, page, p.foreign, p, matrix)
        status = response.status_code
        expected = {404} if own_served else REFUSED
        if status not in expected:
            failures.append(
                f"foreign {p.key:18} {page.method} {url}: {status}, expected {sorted(expected)}"
            )
        leaked = _leaks(body, response, p)
        if leaked:
            failures.append(f"foreign {p.key:18} {url}: foreign data {leaked}")
    if takes_objects and page.scoped:
        assert served_own, f"{route}: nobody is served the own object (builder wrong?) {seen}"
    assert not failures, "\n".join(failures)
