"""Admin (zh-Hans): quota rules are added through the service (validated,
never edited in place: deactivate and add a new one); visits, care pairs
and frequencies are listed scoped like the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from wangge.core.admin import ReadOnlyAdmin, ScopedAdmin
from wangge.core.errors import DomainError
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from . import services
from .models import CareFrequency, CarePair, QuotaRule, Visit


class QuotaRuleForm(forms.ModelForm):
    role = forms.ChoiceField(label="适用角色", choices=Role.choices)
    fixed_days_text = forms.CharField(
        label="固定进格日", required=False, help_text="用逗号分隔，如 5,15,25（逢五进格）"
    )

    class Meta:
        model = QuotaRule
        fields = [
            "name",
            "role",
            "area",
            "valid_from",
            "household_visits_per_year",
            "households_per_month",
            "households_per_year",
            "group_visits_per_month",
        ]

    def clean(self):
        data = super().clean()
        text = (data.get("fixed_days_text") or "").replace("，", ",")
        try:
            days = tuple(int(x) for x in text.split(",") if x.strip())
        except ValueError:
            raise forms.ValidationError("固定进格日应为用逗号分隔的数字") from None
        self.rule_input = services.RuleInput(
            name=data.get("name") or "",
            role=data.get("role") or "",
            area=data.get("area"),
            valid_from=data.get("valid_from"),
            household_visits_per_year=data.get("household_visits_per_year"),
            households_per_month=data.get("households_per_month"),
            households_per_year=data.get("households_per_year"),
            group_visits_per_month=data.get("group_visits_per_month"),
            fixed_days=days,
        )
        errors = services.rule_check(self.rule_input)
        if errors:
            raise forms.ValidationError([f"{v}" for v in errors.values()])
        return data


@admin.register(QuotaRule)
class QuotaRuleAdmin(ScopedAdmin):
    form = QuotaRuleForm
    list_display = (
        "name",
        "role_label",
        "area",
        "household_visits_per_year",
        "households_per_month",
        "group_visits_per_month",
        "fixed_days",
        "valid_from",
        "is_active",
    )
    list_filter = ("is_active",)
    actions = ["deactivate"]

    @admin.display(description="适用角色")
    def role_label(self, obj):
        return obj.role_label

    def get_queryset(self, request):
        # Rules with no area (everywhere) apply to every user's areas.
        qs = super(ScopedAdmin, self).get_queryset(request)
        scope = scope_for(request.user)
        return qs.filter(scope.q() | admin_q_everywhere())

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        scope = scope_for(request.user)
        return request.user.is_superuser or any(scope.manages_users(g.path) for g in scope.grants)

    def save_model(self, request, obj, form, change):
        try:
            rule = services.rule_create(actor=request.user, data=form.rule_input)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        obj.pk = rule.pk

    @admin.action(description="停用所选规则")
    def deactivate(self, request, queryset):
        for rule in queryset:
            try:
                services.rule_deactivate(actor=request.user, rule=rule)
            except DomainError as exc:
                self.message_user(request, f"{rule}：{exc.message}", messages.ERROR)


def admin_q_everywhere():
    from django.db.models import Q

    return Q(area_path="")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("visited_at", "kind", "household", "topic", "visitor", "far_from_building")
    list_filter = ("kind", "far_from_building")
    list_select_related = ("household", "visitor")
    raw_id_fields = ("household",)
    exclude = ("idempotency_key",)


@admin.register(CarePair)
class CarePairAdmin(ReadOnlyAdmin):
    list_display = ("resident", "group", "carer_kind", "carer_name", "next_due_at", "is_active")
    list_filter = ("group", "carer_kind", "is_active")
    list_select_related = ("resident", "group")
    exclude = ("carer_phone_enc",)

    def get_queryset(self, request):
        from .selectors import _care_q

        return (
            super(ScopedAdmin, self).get_queryset(request).filter(_care_q(scope_for(request.user)))
        )


@admin.register(CareFrequency)
class CareFrequencyAdmin(admin.ModelAdmin):
    """City-wide catalogue: staff see it, superusers edit it."""

    list_display = ("group", "interval_days")

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or scope_for(user).is_staff_scope)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
