from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin

from .models import Case, CaseEvent, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "parent",
        "handling",
        "deadline_days",
        "response_hours",
        "grid_may_self_handle",
        "anonymous_allowed",
        "is_active",
    )
    list_filter = ("handling", "parent", "is_active", "grid_may_self_handle", "anonymous_allowed")
    search_fields = ("code", "name", "keywords")
    list_editable = ("deadline_days", "response_hours", "is_active")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: cases move only through the services (the transition
    table); the admin shows them, scoped like every other list."""

    list_display = ("id", "category", "status", "alert", "area", "created_at", "due_at")
    list_filter = ("status", "alert", "handling", "source")
    search_fields = ("description",)
    inlines = [CaseEventInline]
    list_select_related = ("category", "area")

    def get_queryset(self, request):
        from .selectors import visible_cases

        return visible_cases(request.user).select_related("category", "area")
