"""Admin for departments and role assignments, scoped like the API. Writes
go through teams.services (which set the copied area path)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from wangge.core.admin import ScopedAdmin
from wangge.core.errors import DomainError

from . import services
from .models import Department, RoleAssignment
from .scope import scope_for
from .selectors import department_list


def manages_users_anywhere(user) -> bool:
    scope = scope_for(user)
    return scope.unrestricted or any(scope.manages_users(g.path) for g in scope.grants)


def domain_to_validation(exc: DomainError) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


def _fill_instance_only(form) -> None:
    """ModelForm._post_clean without the model's own validation: the rules
    live in the services (which also set the copied area path)."""
    form.instance = construct_instance(form, form.instance, form._meta.fields, form._meta.exclude)


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "short_name", "level", "area", "phone", "is_active"]

    def clean(self):
        data = super().clean()
        actor = self.request.user
        try:
            if self.instance.pk is None:
                area = data.get("area")
                if area is None or not data.get("level") or not data.get("name"):
                    return data
                services.department_check(
                    actor=actor, name=data["name"], level=data["level"], area=area
                )
            else:
                services.department_check(
                    actor=actor,
                    name=data.get("name", self.instance.name),
                    level=self.instance.level,
                    area=self.instance.area,
                    exclude=self.instance,
                )
        except DomainError as exc:
            raise domain_to_validation(exc) from exc
        return data

    _post_clean = _fill_instance_only


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    form = DepartmentForm
    list_display = ("name", "short_name", "level", "area", "phone", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "short_name")
    raw_id_fields = ("area",)
    list_select_related = ("area",)
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        return ("level", "area") if obj is not None else ()

    def has_add_permission(self, request):
        return manages_users_anywhere(request.user)

    def has_change_permission(self, request, obj=None):
        scope = scope_for(request.user)
        if obj is None:
            return manages_users_anywhere(request.user)
        return scope.manages_users(obj.area_path)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.department_update(
                actor=request.user,
                department=Department.objects.get(pk=obj.pk),
                name=data["name"],
                short_name=data["short_name"],
                phone=data["phone"],
                is_active=data["is_active"],
            )
        else:
            saved = services.department_create(
                actor=request.user,
                name=data["name"],
                level=data["level"],
                area=data["area"],
                short_name=data["short_name"],
                phone=data["phone"],
            )
        obj.pk = saved.pk
        obj.area_path = saved.area_path


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department"]

    def clean(self):
        from wangge.accounts.selectors import access_staff_user

        data = super().clean()
        if not all(data.get(k) for k in ("user", "role", "area")):
            return data
        actor = self.request.user
        try:
            user = access_staff_user(actor=actor, user_id=data["user"].pk)
            services.role_assign_check(
                actor=actor,
                user=user,
                role=data["role"],
                area=data["area"],
                department=data.get("department"),
            )
        except DomainError as exc:
            raise domain_to_validation(exc) from exc
        return data

    _post_clean = _fill_instance_only


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    form = RoleAssignmentForm
    list_display = ("user", "role", "area", "department", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__name", "user__username", "area__name", "^area__code")
    raw_id_fields = ("user", "area")
    list_select_related = ("user", "area", "department")
    show_full_result_count = False
    actions = ["revoke_selected"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = department_list(actor=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return manages_users_anywhere(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.role_assign(
            actor=request.user,
            user=data["user"],
            role=data["role"],
            area=data["area"],
            department=data.get("department"),
        )
        obj.pk = saved.pk

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not manages_users_anywhere(request.user):
            actions.pop("revoke_selected", None)
        return actions

    @admin.action(description="撤销所选角色")
    def revoke_selected(self, request, queryset):
        done = 0
        for assignment in queryset.select_related("user"):
            try:
                services.role_revoke(actor=request.user, assignment=assignment)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{assignment}：{exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"已撤销 {done} 个角色", messages.SUCCESS)
