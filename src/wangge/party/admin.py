"""Admin (read-only, scoped): organizations, members with their household
links and dual registrations. Writes go through the API's services."""

from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.serviceteams.admin import ReadOnlyInline

from .models import DualRegistration, HouseholdLink, PartyMember, PartyOrg


class LinkInline(ReadOnlyInline):
    model = HouseholdLink
    fields = ["household", "since"]
    readonly_fields = fields


class RegistrationInline(ReadOnlyInline):
    model = DualRegistration
    fields = ["community", "registered_on", "ended_on"]
    readonly_fields = fields


@admin.register(PartyOrg)
class PartyOrgAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "area", "parent", "secretary", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    list_select_related = ["area", "parent"]


@admin.register(PartyMember)
class PartyMemberAdmin(ReadOnlyAdmin):
    list_display = ["name", "org", "status", "in_service", "is_active"]
    list_filter = ["status", "in_service", "is_active"]
    search_fields = ["name"]
    list_select_related = ["org"]
    exclude = ["resident", "user"]
    inlines = [LinkInline, RegistrationInline]
