"""Admin for base data: scoped like the API, masked columns only, and fast
with millions of rows (raw-id widgets for every foreign key, no full result
count, selected related rows). Writes go through people.services: each form
runs the service once inside a rolled-back savepoint to validate (so the
rules live in one place and errors show on the form), then `save_model`
runs it for real."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.http import Http404

from wangge.core import crypto
from wangge.core.admin import ScopedAdmin
from wangge.core.errors import DomainError
from wangge.core.validators import normalize_id_number
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import Building, CareGroup, Household, Organization, Resident, ResidentCareGroup

NOT_FOUND = "未找到，或不在您的管辖范围内"


def _edits_anywhere(user) -> bool:
    scope = scope_for(user)
    return scope.unrestricted or any(ROLE_CAPS[g.role].edits_base_data for g in scope.grants)


class ServiceForm(forms.ModelForm):
    """A ModelForm whose `clean` dry-runs the service that will save it."""

    request: Any = None
    error_fields: dict[str, str] = {}

    def _post_clean(self) -> None:
        # Fill the instance, skip the model's own validation: the service validates.
        self.instance = construct_instance(
            self, self.instance, self._meta.fields, self._meta.exclude
        )

    def run_service(self, actor, instance, data: dict[str, Any], changed: list[str]):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.run_service(self.request.user, self.instance, data, self.changed_data)
                transaction.set_rollback(True)
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            for field, message in details.items():
                field = self.error_fields.get(field, field)
                if field in self.fields:
                    raise ValidationError({field: message}) from exc
            raise ValidationError(exc.message, code=exc.code) from exc
        except Http404 as exc:
            raise ValidationError("所选区域或对象不在您的管辖范围内") from exc
        return data


class PlacedAdmin(ScopedAdmin):
    """Shared shape: scoped, 404 for foreign ids, raw-id foreign keys, no
    full count, permissions from the role table instead of Django's perms."""

    show_full_result_count = False
    list_per_page = 50
    list_select_related = ("grid",)
    actions = None  # bulk delete would bypass the services' checks
    service_form: type[ServiceForm]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("form", self.service_form)
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def has_add_permission(self, request):
        return request.user.is_active and _edits_anywhere(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_add_permission(request)
        return scope_for(request.user).edits_base_data(obj.area_path)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = form.run_service(request.user, obj, form.cleaned_data, form.changed_data)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # Related rows (care groups) are saved by the services in save_model.
        pass


# ------------------------------------------------------------------ buildings


class BuildingForm(ServiceForm):
    error_fields = {"grid_id": "grid", "micro_grid_id": "micro_grid"}

    class Meta:
        model = Building
        fields = ["grid", "micro_grid", "code", "name", "address", "kind", "floors", "lng", "lat"]

    MODEL_FIELDS = tuple(Meta.fields)

    def run_service(self, actor, instance, data, changed):
        values = {f: data.get(f) for f in self.MODEL_FIELDS}
        if instance.pk is None:
            return services.building_create(actor=actor, **values)
        original = Building.objects.get(pk=instance.pk)
        return services.building_update(
            actor=actor, building=original, changes={f: values[f] for f in changed if f in values}
        )


@admin.register(Building)
class BuildingAdmin(PlacedAdmin):
    service_form = BuildingForm
    list_display = ("name", "code", "address", "kind", "floors", "grid")
    list_filter = ("kind",)
    search_fields = ("name", "address", "=code")
    raw_id_fields = ("grid", "micro_grid")

    def delete_model(self, request, obj):
        services.building_delete(actor=request.user, building=obj)


# ----------------------------------------------------------------- households


class HouseholdForm(ServiceForm):
    class Meta:
        model = Household
        fields = ["building", "unit", "room", "size", "address"]

    MODEL_FIELDS = tuple(Meta.fields)

    def run_service(self, actor, instance, data, changed):
        values = {f: data.get(f) for f in self.MODEL_FIELDS}
        values["unit"] = values["unit"] or ""
        values["address"] = values["address"] or ""
        if instance.pk is None:
            return services.household_create(actor=actor, **values)
        original = Household.objects.get(pk=instance.pk)
        return services.household_update(
            actor=actor, household=original, changes={f: values[f] for f in changed}
        )


@admin.register(Household)
class HouseholdAdmin(PlacedAdmin):
    service_form = HouseholdForm
    list_display = ("address", "unit", "room", "size", "building", "grid")
    list_select_related = ("grid", "building")
    search_fields = ("address",)
    raw_id_fields = ("building",)

    def delete_model(self, request, obj):
        services.household_delete(actor=request.user, household=obj)


# ------------------------------------------------------------------ residents


def _sees_care(user, resident: Resident | None) -> bool:
    scope = scope_for(user)
    if resident is not None:
        return scope.sees_care(resident.area_path)
    return scope.unrestricted or any(ROLE_CAPS[g.role].sees_care for g in scope.grants)


class ResidentForm(ServiceForm):
    id_number = forms.CharField(
        label="身份证号",
        required=False,
        max_length=18,
        help_text="新增时必填；修改时留空表示不变。性别和出生日期由身份证号得出。",
    )
    phone = forms.CharField(label="联系电话", required=False, max_length=20,
                            help_text="修改时留空表示不变")  # fmt: skip
    care_groups = forms.ModelMultipleChoiceField(
        label="重点人群",
        queryset=CareGroup.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Resident
        fields = ["household", "name", "relationship", "residence", "registered_address",
                  "is_party_member"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        resident = self.instance
        user = self.request.user if self.request else None
        if user is None or not _sees_care(user, resident if resident.pk else None):
            self.fields.pop("care_groups", None)
        elif resident.pk:
            self.initial["care_groups"] = list(
                resident.care_links.values_list("group_id", flat=True)
            )

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "").strip()
        if not value and self.instance.pk is None:
            raise ValidationError("身份证号不能为空")
        return value

    MODEL_FIELDS = tuple(Meta.fields)

    def run_service(self, actor, instance, data, changed):
        values = {f: data.get(f) for f in self.MODEL_FIELDS}
        values["registered_address"] = values["registered_address"] or ""
        if instance.pk is None:
            resident = services.resident_create(
                actor=actor, id_number=data["id_number"], phone=data.get("phone") or "", **values
            )
        else:
            changes = {f: values[f] for f in changed if f in values}
            for clear_field in ("id_number", "phone"):
                if data.get(clear_field):
                    changes[clear_field] = data[clear_field]
            resident = services.resident_update(
                actor=actor, resident=Resident.objects.get(pk=instance.pk), changes=changes
            )
        if "care_groups" in self.fields and (instance.pk is None or "care_groups" in changed):
            services.resident_set_care_groups(
                actor=actor, resident=resident, groups=list(data.get("care_groups") or [])
            )
        return resident


class CareGroupFilter(admin.SimpleListFilter):
    title = "重点人群"
    parameter_name = "care_group"

    def lookups(self, request, model_admin):
        if not _sees_care(request.user, None):
            return []
        return [(g.pk, g.name) for g in CareGroup.objects.filter(is_active=True)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        scope = scope_for(request.user)
        return queryset.filter(selectors._care_q(scope)).filter(
            pk__in=ResidentCareGroup.objects.filter(group_id=self.value()).values("resident_id")
        )


@admin.register(Resident)
class ResidentAdmin(PlacedAdmin):
    service_form = ResidentForm
    list_display = ("name", "sex", "birth_date", "id_number_masked", "phone_masked",
                    "relationship", "residence", "is_party_member", "grid")  # fmt: skip
    list_filter = ("sex", "relationship", "residence", "is_party_member", CareGroupFilter)
    search_fields = ("name",)
    search_help_text = "按姓名搜索，或输入完整的18位身份证号精确查找"
    raw_id_fields = ("household",)
    readonly_fields = ("sex", "birth_date", "id_number_masked", "phone_masked")

    def get_fields(self, request, obj=None):
        fields = ["household", "name", "id_number", "phone", "relationship", "residence",
                  "registered_address", "is_party_member"]  # fmt: skip
        if _sees_care(request.user, obj):
            fields.append("care_groups")
        if obj is not None:
            fields = ["id_number_masked", "phone_masked", "sex", "birth_date", *fields]
        return fields

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if len(term) == 18:
            try:
                number = normalize_id_number(term)
            except ValidationError:
                pass
            else:
                return queryset.filter(id_number_hash=crypto.keyed_hash(number)), False
        return super().get_search_results(request, queryset, search_term)

    def delete_model(self, request, obj):
        services.resident_delete(actor=request.user, resident=obj)


# -------------------------------------------------------------- organizations


class OrganizationForm(ServiceForm):
    error_fields = {"grid_id": "grid", "micro_grid_id": "micro_grid"}

    class Meta:
        model = Organization
        fields = ["grid", "micro_grid", "name", "uscc", "kind", "address", "contact_name",
                  "contact_phone", "employees", "lng", "lat"]  # fmt: skip

    MODEL_FIELDS = tuple(Meta.fields)

    def run_service(self, actor, instance, data, changed):
        values = {f: data.get(f) for f in self.MODEL_FIELDS}
        for text in ("contact_name", "contact_phone"):
            values[text] = values[text] or ""
        if instance.pk is None:
            return services.organization_create(actor=actor, **values)
        original = Organization.objects.get(pk=instance.pk)
        return services.organization_update(
            actor=actor, organization=original, changes={f: values[f] for f in changed}
        )


@admin.register(Organization)
class OrganizationAdmin(PlacedAdmin):
    service_form = OrganizationForm
    list_display = ("name", "uscc", "kind", "address", "employees", "grid")
    list_filter = ("kind",)
    search_fields = ("name", "=uscc")
    raw_id_fields = ("grid", "micro_grid")

    def delete_model(self, request, obj):
        services.organization_delete(actor=request.user, organization=obj)


# ---------------------------------------------------------------- care groups


def _city_admin(user) -> bool:
    scope = scope_for(user)
    return scope.unrestricted or Role.CITY_ADMIN in scope.roles


@admin.register(CareGroup)
class CareGroupAdmin(admin.ModelAdmin):
    """The city-wide list of care groups: everyone on staff sees it, the city
    administrator edits it; built-in groups keep their code and stay."""

    list_display = ("name", "code", "builtin", "is_active", "sort")
    list_editable = ("is_active", "sort")
    search_fields = ("name", "code")

    def get_readonly_fields(self, request, obj=None):
        return ("builtin", "code") if obj is not None and obj.builtin else ("builtin",)

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or scope_for(user).is_staff_scope)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return request.user.is_active and _city_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (
            obj.builtin or ResidentCareGroup.objects.filter(group=obj).exists()
        ):
            return False
        return self.has_add_permission(request)
