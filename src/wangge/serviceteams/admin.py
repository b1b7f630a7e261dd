"""Admin (read-only, scoped): teams with members and grids, service days,
activities with sign-ups, card profiles. Writes go through the API and the
console pages, where the services validate them."""

from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin

from .models import (
    ActivitySignup,
    CardProfile,
    ServiceActivity,
    ServiceDay,
    ServiceTeam,
    ServiceTeamGrid,
    ServiceTeamMember,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MemberInline(ReadOnlyInline):
    model = ServiceTeamMember
    fields = ["name", "duty", "is_leader", "work_phone"]
    readonly_fields = fields


class GridInline(ReadOnlyInline):
    model = ServiceTeamGrid
    fields = ["grid"]
    readonly_fields = fields


@admin.register(ServiceTeam)
class ServiceTeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "area", "phone", "is_active"]
    list_filter = ["kind", "level", "is_active"]
    search_fields = ["name"]
    list_select_related = ["area"]
    inlines = [MemberInline, GridInline]


@admin.register(ServiceDay)
class ServiceDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "theme", "area"]
    list_select_related = ["area"]


class SignupInline(ReadOnlyInline):
    model = ActivitySignup
    fields = ["name", "status", "signed_at", "checked_in_at", "hours"]
    readonly_fields = fields


@admin.register(ServiceActivity)
class ServiceActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "team", "area", "starts_at", "status"]
    list_filter = ["status"]
    list_select_related = ["team", "area"]
    inlines = [SignupInline]


@admin.register(CardProfile)
class CardProfileAdmin(ReadOnlyAdmin):
    list_display = ["area", "hotline", "updated_at"]
    list_select_related = ["area"]
