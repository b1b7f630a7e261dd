"""Admin (zh-Hans): read-only lists scoped by the area the record was filed
under; writes go through the API and the console pages (validated there)."""

from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin

from .models import Certificate, Recruitment, Training


@admin.register(Recruitment)
class RecruitmentAdmin(ReadOnlyAdmin):
    list_display = ["worker", "area", "recruited_on", "channel", "interview_result", "contract_end"]
    list_filter = ["channel", "interview_result"]
    search_fields = ["worker__name"]


@admin.register(Training)
class TrainingAdmin(ReadOnlyAdmin):
    list_display = ["worker", "area", "course", "held_on", "hours", "result"]
    list_filter = ["result"]
    search_fields = ["worker__name", "course"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["worker", "area", "name", "number", "issuer", "issued_on", "expires_on"]
    search_fields = ["worker__name", "name", "number"]
