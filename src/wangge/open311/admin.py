from django.contrib import admin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "is_active", "created_at")
    readonly_fields = ("prefix", "created_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False  # keys are issued with `wangge open311-key`, which shows the key once

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser
