"""Notices in the admin: read-only and scoped (sending goes through the
console or the API, which fan out in the background)."""

from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin

from .models import GridProgress, Notice, NoticeAttachment


class AttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    extra = 0
    fields = ("name", "size", "content_type")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title", "area", "urgency", "audience", "status", "households", "created_at")
    list_filter = ("urgency", "audience", "status")
    search_fields = ("title",)
    list_select_related = ("area",)
    inlines = [AttachmentInline]
    exclude = ("created_by",)


@admin.register(GridProgress)
class GridProgressAdmin(ReadOnlyAdmin):
    scope_field = "grid_path"
    list_display = ("notice", "grid", "total", "read", "reached")
    list_select_related = ("notice", "grid")
