from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin, ScopedAdmin

from .models import PointsEntry, PointsRule, Redemption, Shop, ShopItem


@admin.register(PointsRule)
class PointsRuleAdmin(ScopedAdmin):
    list_display = ["city", "kind", "points", "daily_cap", "monthly_cap", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    """Append-only: corrections are new entries (积分更正), never edits."""

    list_display = ["created_at", "resident", "worker", "kind", "rule", "amount", "reason"]
    list_filter = ["kind", "rule"]
    list_select_related = ["resident", "worker"]
    raw_id_fields = ["resident", "worker", "grid", "created_by"]
    show_full_result_count = False


class ShopItemInline(admin.TabularInline):
    model = ShopItem
    fields = ["name", "price", "stock", "is_active", "sort"]
    extra = 1


@admin.register(Shop)
class ShopAdmin(ScopedAdmin):
    list_display = ["name", "community", "exchange_days", "hours", "is_active"]
    raw_id_fields = ["community"]
    filter_horizontal = ["keepers"]
    inlines = [ShopItemInline]


@admin.register(ShopItem)
class ShopItemAdmin(ScopedAdmin):
    list_display = ["name", "shop", "price", "stock", "is_active"]
    raw_id_fields = ["shop"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "quantity", "points", "status", "fulfilled_at"]
    list_filter = ["status"]
    exclude = ["code"]
