from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from wangge.areas import selectors as area_selectors
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

# Which front-end each role works in (a user with several roles sees several).
WORKER_ROLES = {
    "grid_leader",
    "grid_worker",
    "part_time_worker",
    "micro_grid_leader",
    "grid_assistant",
}
CONSOLE_ROLES = {
    "dispatcher",
    "street_cadre",
    "community_cadre",
    "department_staff",
    "leader",
    "city_admin",
}


def home(request):
    user = request.user
    if user.is_authenticated and user.kind == "resident":
        return redirect("/m/")
    tops, apps = [], []
    if user.is_authenticated:
        tops = list(area_selectors.area_tops(actor=user))
        roles = scope_for(user).roles
        if user.is_superuser or roles & WORKER_ROLES:
            apps.append(("/w/", "网格员工作台（平安通）", "今日待办、随手报、代办、入户查询"))
        if user.is_superuser or roles & CONSOLE_ROLES:
            apps.append(("/console/", "指挥中心", "地图、派遣队列、督办、统计"))
    return render(request, "web/home.html", {"tops": tops, "apps": apps})


@login_required
def area_map(request, area_id: int):
    try:
        area = area_selectors.access_area(actor=request.user, area_id=area_id)
        children = list(area_selectors.area_children(actor=request.user, area=area))
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "web/area_map.html",
        {
            "area": area,
            "breadcrumb": area_selectors.area_breadcrumb(area=area),
            "counts": area_selectors.area_counts(area=area),
            "children": children,
        },
    )
