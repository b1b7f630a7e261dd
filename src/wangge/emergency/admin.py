"""Emergency mode in the admin: read-only and scoped (switching on and off
goes through the console or the API)."""

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin

from .models import ChecklistAnswer, EmergencyMode


@admin.register(EmergencyMode)
class EmergencyModeAdmin(ReadOnlyAdmin):
    list_display = ("reason", "area", "status", "households", "started_at", "ended_at")
    list_filter = ("status",)
    list_select_related = ("area",)
    exclude = ("started_by", "ended_by")


@admin.register(ChecklistAnswer)
class ChecklistAnswerAdmin(ReadOnlyAdmin):
    list_display = ("mode", "household", "alert", "filled_at")
    list_filter = ("alert",)
    list_select_related = ("mode", "household")
    exclude = ("filled_by", "case")
