from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.teams.admin import manages_users_anywhere

from .models import AuditEvent, PersonalDataAccess


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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Every write, sign-in and lockout, for the areas the viewer manages
    (the city administrator: the whole city). Read-only; the database
    refuses edits anyway (wangge.audit.appendonly)."""

    list_display = ("at", "actor_label", "kind", "model", "object_id", "ip", "request")
    list_filter = ("kind",)
    search_fields = ("actor_label", "model", "object_id", "request")
    show_full_result_count = False
    readonly_fields = (
        "at",
        "kind",
        "actor_id",
        "actor_label",
        "ip",
        "request",
        "model",
        "object_id",
        "area_path",
        "changes",
    )
    fields = readonly_fields

    def has_module_permission(self, request):
        return request.user.is_active and manages_users_anywhere(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
