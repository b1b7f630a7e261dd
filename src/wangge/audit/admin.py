from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.teams.admin import manages_users_anywhere

from .models import PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    """Who saw or exported personal data. Read-only; visible to those who
    manage users (and superusers), for the areas they cover."""

    list_display = (
        "at",
        "actor",
        "action",
        "subject_type",
        "subject_id",
        "fields",
        "row_count",
        "reason",
    )
    list_filter = ("action",)
    search_fields = ("actor__username", "actor__name", "subject_type", "reason")
    list_select_related = ("actor",)
    show_full_result_count = False
    readonly_fields = (
        "at",
        "actor",
        "action",
        "subject_type",
        "subject_id",
        "fields",
        "area_path",
        "reason",
        "row_count",
        "ip",
    )
    fields = readonly_fields

    def has_module_permission(self, request):
        return request.user.is_active and manages_users_anywhere(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
