"""Console forms for 组团服务 (/console/serviceteams/teams/…): create a
team, edit it, add and remove members, set the grids it serves. Thin: parse,
access_*, one service call, render; a DomainError is shown beside its form
(zh-Hans) and nothing changes."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wangge.areas import selectors as area_selectors
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import ServiceTeam
from .views import _login_first


def staff_gate(request):
    """Console pages: log in first; residents and staff without areas get the
    console's 403 page. None when the request may go on."""
    if (r := _login_first(request)) is not None:
        return r
    if not scope_for(request.user).is_staff_scope:
        return render(request, "console/forbidden.html", status=403)
    return None


def request_area(request):
    """The area named by `?area=` (or the form's `area`), or 404."""
    try:
        return area_selectors.access_area(
            actor=request.user, area_id=int(request.GET.get("area") or request.POST.get("area"))
        )
    except (DomainError, TypeError, ValueError) as exc:
        raise Http404("未找到，或不在您的管辖范围内") from exc


def _lines(text: str) -> list[str]:
    return [x.strip() for x in (text or "").replace("，", "\n").splitlines() if x.strip()]


def form_id(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return -1  # no such id: the service says so in Chinese


@require_http_methods(["GET", "POST"])
def team_new(request):
    if (r := staff_gate(request)) is not None:
        return r
    area = request_area(request)
    form, error, status = {}, "", 200
    if request.method == "POST":
        form = {
            k: request.POST.get(k, "") for k in ("name", "kind", "services", "promise", "phone")
        }
        try:
            team = services.team_create(
                actor=request.user,
                area=area,
                name=form["name"],
                kind=form["kind"],
                services=_lines(form["services"]),
                promise=form["promise"],
                phone=form["phone"],
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"已新建服务团队：{team.name}")
            return redirect("serviceteams:console-team", team_id=team.pk)
    return render(
        request,
        "serviceteams/console_team_new.html",
        {
            "area": area,
            "form": form,
            "error": error,
            "kinds": ServiceTeam.Kind.choices,
            "may_manage": services.may_manage(request.user, area.path),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def team_page(request, team_id: int):
    if (r := staff_gate(request)) is not None:
        return r
    try:
        team = selectors.access_team(actor=request.user, team_id=team_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        kind = request.POST.get("form", "")
        p = request.POST
        try:
            if kind == "edit":
                values["edit"] = {k: p.get(k, "") for k in ("name", "services", "promise", "phone")}
                services.team_update(
                    actor=request.user,
                    team=team,
                    name=p.get("name", ""),
                    services=_lines(p.get("services", "")),
                    promise=p.get("promise", ""),
                    phone=p.get("phone", ""),
                    is_active=p.get("is_active") == "1",
                )
                done = "已保存团队信息"
            elif kind == "member_add":
                source = p.get("source", "")
                values["member"] = {
                    k: p.get(k, "")
                    for k in ("source", "user_id", "resident_id", "name", "duty", "work_phone")
                }
                member = services.team_member_add(
                    actor=request.user,
                    team=team,
                    user_id=form_id(p.get("user_id")) if source == "staff" else None,
                    resident_id=form_id(p.get("resident_id")) if source == "resident" else None,
                    name=p.get("name", "") if source == "external" else "",
                    duty=p.get("duty", ""),
                    is_leader=p.get("is_leader") == "1",
                    work_phone=p.get("work_phone", "") if source == "external" else "",
                )
                done = f"已添加成员：{member.name}"
            elif kind == "member_remove":
                services.team_member_remove(
                    actor=request.user, team=team, member_id=form_id(p.get("member_id")) or -1
                )
                done = "已移除成员"
            elif kind == "grids":
                ids = [i for i in (form_id(x) for x in p.getlist("grid_ids")) if i is not None]
                services.team_grids_set(actor=request.user, team=team, grid_ids=ids)
                done = "已保存联系网格"
            else:
                raise DomainError("invalid", "未知的表单", status=422)
        except DomainError as exc:
            if exc.status == 404 and kind not in ("member_remove", "grids"):
                raise Http404(exc.message) from exc
            errors[kind or "form"] = exc.message
            status = exc.status
        else:
            messages.success(request, done)
            return redirect("serviceteams:console-team", team_id=team.pk)
        team.refresh_from_db()
    may_manage = services.may_manage(request.user, team.area_path)
    ctx = {
        "team": team,
        "members": selectors.team_members(team=team),
        "grids": selectors.team_grids(team=team),
        "may_manage": may_manage,
        "errors": errors,
        "values": values,
    }
    if may_manage:
        served = {g.pk for g in ctx["grids"]}
        ctx.update(
            staff=selectors.colleague_options(actor=request.user, area=team.area),
            residents=selectors.resident_options(actor=request.user, area=team.area),
            grid_choices=[
                (g, g.pk in served)
                for g in selectors.grid_options(actor=request.user, area=team.area)
            ],
        )
    return render(request, "serviceteams/console_team.html", ctx, status=status)
