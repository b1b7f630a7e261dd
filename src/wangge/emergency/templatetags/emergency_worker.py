"""`{% emergency_today %}`: the emergency block of the grid worker's Today."""

from __future__ import annotations

from django import template

from wangge.emergency import selectors

register = template.Library()


@register.inclusion_tag("emergency/worker_today.html", takes_context=True)
def emergency_today(context):
    return {"modes": selectors.active_for_worker(actor=context["request"].user)}
