"""Admin for the area tree: scoped on the path, searchable, no huge widgets.
The tree's shape (parent, path, code, level) comes from the loaders and the
generator; here names and the active flag can be corrected."""

from __future__ import annotations

from django.contrib import admin

from wangge.core.admin import ScopedAdmin

from .models import Area


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    scope_field = "path"
    list_display = ("name", "code", "level", "grid_kind", "parent", "is_active")
    list_filter = ("level", "grid_kind", "is_active")
    search_fields = ("name", "^code")
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)
    show_full_result_count = False
    list_per_page = 100
    fields = (
        "name",
        "is_active",
        "code",
        "level",
        "parent",
        "grid_kind",
        "dedicated_kind",
        "community_kind",
        "path",
        "depth",
        "bbox",
        "center",
    )
    readonly_fields = (
        "code",
        "level",
        "parent",
        "grid_kind",
        "dedicated_kind",
        "community_kind",
        "path",
        "depth",
        "bbox",
        "center",
    )

    @admin.display(description="范围（经纬度）")
    def bbox(self, obj):
        if obj.min_lng is None:
            return "—"
        return f"{obj.min_lng:.5f}, {obj.min_lat:.5f} — {obj.max_lng:.5f}, {obj.max_lat:.5f}"

    @admin.display(description="中心点")
    def center(self, obj):
        if obj.center_lng is None:
            return "—"
        return f"{obj.center_lng:.5f}, {obj.center_lat:.5f}"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
