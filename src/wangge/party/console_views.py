"""Console forms for 党建 (/console/party/…): create an organization, an
organization's page (sub-organizations, members, add a member), a member's
page (党员联户: add and remove households; 双报到). Thin: parse, access_*,
one service call, render; a DomainError is shown beside its form (zh-Hans)
and nothing changes."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wangge.areas import selectors as area_selectors
from wangge.areas.models import Area, Level
from wangge.areas.paths import subtree_q
from wangge.core.errors import DomainError
from wangge.serviceteams.console_views import form_id, request_area, staff_gate
from wangge.serviceteams.selectors import colleague_options, resident_options
from wangge.serviceteams.services import invalid, may_manage
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import PartyMember, PartyOrg

MAX_OPTIONS = 300


def _date(value, field: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid("invalid_date", f"{label}格式不正确（应为 2026-01-31）", field) from None


def _may_keep(actor, path: str) -> bool:
    s = scope_for(actor)
    return s.covers(path) and (s.manages_users(path) or s.edits_base_data(path))


@require_http_methods(["GET", "POST"])
def org_new(request):
    if (r := staff_gate(request)) is not None:
        return r
    area = request_area(request)
    form, error, status = {}, "", 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("kind", "name", "parent_id", "secretary")}
        try:
            parent_id = form_id(form["parent_id"])
            parent = (
                selectors.access_org(actor=request.user, org_id=parent_id)
                if parent_id is not None
                else None
            )
            org = services.org_create(
                actor=request.user,
                area=area,
                kind=form["kind"],
                name=form["name"],
                parent=parent,
                secretary=form["secretary"],
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"已新建党组织：{org.name}")
            return redirect("party:console-org", org_id=org.pk)
    parents = list(
        selectors.org_list(actor=request.user)
        .filter(is_active=True)
        .filter(area_path__in=[area.path[:i] for i in range(5, len(area.path) + 1, 5)])
        .select_related("area")
        .order_by("area_path", "pk")[:MAX_OPTIONS]
    )
    return render(
        request,
        "party/console_org_new.html",
        {
            "area": area,
            "form": form,
            "error": error,
            "kinds": PartyOrg.Kind.choices,
            "parents": parents,
            "may_manage": may_manage(request.user, area.path),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def org_page(request, org_id: int):
    if (r := staff_gate(request)) is not None:
        return r
    try:
        org = selectors.access_org(actor=request.user, org_id=org_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    error, form, status = "", {}, 200
    if request.method == "POST":
        p = request.POST
        form = {
            k: p.get(k, "")
            for k in ("source", "resident_id", "user_id", "status", "joined_on", "workplace")
        }
        source = p.get("source", "resident")
        try:
            member = services.member_add(
                actor=request.user,
                org=org,
                resident_id=form_id(p.get("resident_id")) if source == "resident" else None,
                user_id=form_id(p.get("user_id")) if source == "staff" else None,
                status=p.get("status") or PartyMember.Status.FORMAL,
                joined_on=_date(p.get("joined_on"), "joined_on", "入党日期"),
                in_service=p.get("in_service") == "1",
                workplace=p.get("workplace", ""),
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"已登记党员：{member.name}")
            return redirect("party:console-org", org_id=org.pk)
    keeps = _may_keep(request.user, org.area_path)
    ctx = {
        "org": org,
        "children": list(selectors.org_list(actor=request.user).filter(parent=org)),
        "members": list(selectors.member_list(actor=request.user, org=org)[:MAX_OPTIONS]),
        "may_manage": may_manage(request.user, org.area_path),
        "may_keep": keeps and org.kind in services.MEMBER_KINDS,
        "error": error,
        "form": form,
        "statuses": PartyMember.Status.choices,
    }
    if ctx["may_keep"]:
        ctx.update(
            residents=resident_options(actor=request.user, area=org.area),
            staff=colleague_options(actor=request.user, area=org.area),
        )
    return render(request, "party/console_org.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def member_page(request, member_id: int):
    if (r := staff_gate(request)) is not None:
        return r
    try:
        member = selectors.access_member(actor=request.user, member_id=member_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    errors, status = {}, 200
    if request.method == "POST":
        p = request.POST
        kind = p.get("form", "")
        try:
            if kind == "link_add":
                services.link_add(
                    actor=request.user,
                    member=member,
                    household_id=form_id(p.get("household_id")) or -1,
                    since=_date(p.get("since"), "since", "联户日期"),
                )
                done = "已添加联系户"
            elif kind == "link_remove":
                services.link_remove(
                    actor=request.user, member=member, link_id=form_id(p.get("link_id")) or -1
                )
                done = "已解除联系户"
            elif kind == "register":
                community = area_selectors.access_area(
                    actor=request.user, area_id=form_id(p.get("community_id")) or -1
                )
                services.dual_register(
                    actor=request.user,
                    member=member,
                    community=community,
                    registered_on=_date(p.get("registered_on"), "registered_on", "报到日期"),
                )
                done = "已登记双报到"
            else:
                raise DomainError("invalid", "未知的表单", status=422)
        except DomainError as exc:
            errors[kind or "form"] = exc.message
            status = exc.status
        else:
            messages.success(request, done)
            return redirect("party:console-member", member_id=member.pk)
    keeps = _may_keep(request.user, member.area_path)
    ctx = {
        "member": member,
        "links": selectors.member_links(member=member),
        "registration": selectors.member_registration(member=member),
        "activities": selectors.member_activities(member=member, limit=20),
        "may_keep": keeps,
        "errors": errors,
    }
    if keeps:
        from wangge.people.models import Household

        ctx["households"] = list(
            Household.objects.filter(
                scope_for(request.user).q("area_path"), subtree_q(member.org.area_path, "area_path")
            )
            .exclude(pk__in=member.links.values("household_id"))
            .order_by("address", "pk")[:MAX_OPTIONS]
        )
    if member.in_service:
        scope = scope_for(request.user)
        ctx["communities"] = [
            a
            for a in Area.objects.filter(
                scope.q("path"), level=Level.COMMUNITY, is_active=True
            ).order_by("path")[:MAX_OPTIONS]
            if scope.manages_users(a.path)
        ]
    return render(request, "party/console_member.html", ctx, status=status)
