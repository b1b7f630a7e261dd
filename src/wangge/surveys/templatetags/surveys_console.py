"""`{% may_run_surveys user as x %}`: whether the console shows 居民问卷 in
its top navigation (the roles that may start surveys; see
surveys.services.CREATOR_ROLES)."""

from django import template

from wangge.surveys.services import may_run

register = template.Library()


@register.simple_tag
def may_run_surveys(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and may_run(user)
