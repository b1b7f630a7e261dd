"""Admin for users and API tokens: zh-Hans, scoped, never a password hash."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from wangge.core.admin import ReadOnlyAdmin, ScopedAdmin
from wangge.core.errors import DomainError
from wangge.core.masking import mask_phone
from wangge.core.validators import normalize_phone
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import ApiToken, User

# Roles on areas replace Django's groups.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


class _PhoneFormMixin:
    """`phone` is not a database column (ciphertext + keyed hash): a plain
    form field that the services encrypt; dropped when the admin shows it
    read-only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "phone" not in (self._meta.fields or ()):
            self.fields.pop("phone", None)
        elif self.instance.pk:
            self.fields["phone"].initial = self.instance.phone or ""


class StaffUserAddForm(_PhoneFormMixin, forms.ModelForm):
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    password1 = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["username", "name", "phone"]

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            raise ValidationError("两次输入的密码不一致")
        try:
            services.user_create_staff_check(
                username=data.get("username", ""),
                name=data.get("name", ""),
                phone=data.get("phone") or "",
                password=data.get("password1") or "",
                actor=self.request.user,
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return data

    def _post_clean(self):
        # The rules live in accounts.services (called in clean and on save).
        pass


class UserChangeForm(_PhoneFormMixin, forms.ModelForm):
    phone = forms.CharField(label="手机号", max_length=20, required=False)

    class Meta:
        model = User
        fields = ["name", "phone", "is_active"]

    def clean(self):
        data = super().clean()
        try:
            services.user_update_check(
                actor=self.request.user, user=self.instance, phone=data.get("phone") or None
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return data

    def _post_clean(self):
        pass


@admin.register(User)
class UserAdmin(ScopedAdmin):
    list_display = ("username", "name", "kind", "phone_display", "resident_status", "is_active")
    list_filter = ("kind", "resident_status", "is_active")
    # The phone is not stored in clear: a search term that is a phone number
    # finds its account by the keyed hash (whole numbers only, no prefixes).
    search_fields = ("username", "name")
    ordering = ("username",)
    show_full_result_count = False
    readonly_fields = (
        "username",
        "kind",
        "roles",
        "resident_status",
        "home_grid",
        "resident",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )

    def get_queryset(self, request):
        return selectors.user_list(actor=request.user).order_by("username")

    def get_search_results(self, request, queryset, search_term):
        qs, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term.strip())
        except ValidationError:
            phone = ""
        if phone:
            qs = qs | queryset.filter(pk__in=User.objects.with_phone(phone).values("pk"))
        return qs, may_have_duplicates

    @admin.display(description="手机号")
    def phone_display(self, obj):
        # Staff work phones are printed on contact cards; residents' are personal.
        if obj.kind == User.Kind.RESIDENT:
            return mask_phone(obj.phone or "")
        return obj.phone or ""

    @admin.display(description="手机号")
    def phone_readonly(self, obj):
        return self.phone_display(obj) or "—"

    @admin.display(description="角色")
    def roles(self, obj):
        # Only the roles inside the viewer's areas (set by get_object).
        scope = getattr(obj, "_viewer_scope", None)
        if scope is None:
            return "—"
        qs = obj.assignments.filter(scope.q("area_path"), is_active=True).select_related("area")
        return (
            format_html_join(
                "", "<div>{} · {}</div>", ((a.area.name, a.get_role_display()) for a in qs)
            )
            or "—"
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "name", "phone", "password1", "password2"]
        return [
            "username",
            "name",
            "phone" if self._phone_editable(request, obj) else "phone_readonly",
            "is_active",
            "kind",
            "roles",
            "resident_status",
            "home_grid",
            "resident",
            "is_staff",
            "is_superuser",
            "last_login",
            "date_joined",
        ]

    def _phone_editable(self, request, obj) -> bool:
        # A resident's phone is their login: they change it themselves.
        return obj.kind != User.Kind.RESIDENT and self.has_change_permission(request, obj)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer_scope = scope_for(request.user)
        return obj

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        ro = list(self.readonly_fields)
        if not self._phone_editable(request, obj):
            ro.append("phone_readonly")
        if not self.has_change_permission(request, obj):
            ro += ["name", "is_active"]
        return ro

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = StaffUserAddForm if obj is None else UserChangeForm
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def has_add_permission(self, request):
        return services.manages_users_anywhere(request.user)

    def has_change_permission(self, request, obj=None):
        if not services.manages_users_anywhere(request.user):
            return False
        if obj is None:
            return True
        try:
            services.user_update_check(actor=request.user, user=obj)
        except DomainError:
            return False
        return True

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {"name": data.get("name"), "is_active": data.get("is_active")}
            if "phone" in data:
                fields["phone"] = data.get("phone") or None
            saved = services.user_update(
                actor=request.user, user=User.objects.get(pk=obj.pk), **fields
            )
        else:
            saved = services.user_create_staff(
                username=data["username"],
                name=data["name"],
                phone=data["phone"],
                password=data["password1"],
                actor=request.user,
            )
        obj.pk = saved.pk
        obj.username = saved.username
        obj.name = saved.name

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "prefix",
        "label",
        "user",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("^prefix", "label", "user__username", "user__name")
    fields = ("prefix", "label", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    list_select_related = ("user",)
    show_full_result_count = False

    def get_queryset(self, request):
        users = selectors.user_list(actor=request.user)
        return (
            ApiToken.objects.filter(user__in=users).select_related("user").order_by("-created_at")
        )

    def has_module_permission(self, request):
        return request.user.is_active and services.manages_users_anywhere(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
