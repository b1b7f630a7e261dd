from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from wangge.areas import selectors as area_selectors
from wangge.core.errors import DomainError


def home(request):
    tops = []
    if request.user.is_authenticated:
        tops = list(area_selectors.area_tops(actor=request.user))
    return render(request, "web/home.html", {"tops": tops})


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
