"""Admin building blocks: every admin list is scoped like the API."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404

from wangge.teams.scope import scope_for, scoped


class ScopedAdmin(admin.ModelAdmin):
    """Lists and object pages show only rows under the user's areas.
    `scope_field` names the path column (default `area_path`)."""

    scope_field = "area_path"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, self.scope_field)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # An object outside the user's areas is "not found", exactly like one
        # that does not exist (Django's default is a redirect with a message).
        raise Http404("未找到，或不在您的管辖范围内")

    def has_module_permission(self, request):
        return request.user.is_active and (
            request.user.is_superuser or scope_for(request.user).is_staff_scope
        )

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
