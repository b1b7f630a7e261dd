"""`{% notices_today %}`: the notices block of the grid worker's Today page
(unread notices to staff, households not reached in time)."""

from __future__ import annotations

from django import template

from wangge.notices import selectors
from wangge.notices.models import REACH_BUTTONS, StaffDelivery

register = template.Library()


@register.inclusion_tag("notices/worker_today.html", takes_context=True)
def notices_today(context):
    user = context["request"].user
    return {
        "unreached": selectors.unreached(actor=user, limit=10),
        "notices_unread": StaffDelivery.objects.filter(
            user_id=user.pk, read_at__isnull=True
        ).count(),
        "vias": REACH_BUTTONS,
        "csrf_token": context.get("csrf_token"),
    }
