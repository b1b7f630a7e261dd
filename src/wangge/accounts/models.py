from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core import crypto


class WangUserManager(UserManager):
    def with_phone(self, phone: str | None):
        """Users whose phone is `phone` (normalized): a look-up by the keyed
        hash, the clear number is not in the database."""
        return self.filter(phone_hash=crypto.keyed_hash(phone or "") or "-")


class User(AbstractUser):
    """Staff and residents alike. Staff get role assignments on areas
    (teams.RoleAssignment); a resident user is linked to one Resident record
    once a grid worker has checked it (until then `resident` is empty and
    `resident_status` is pending)."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("工作人员")
        RESIDENT = "resident", _("居民")

    class ResidentStatus(models.TextChoices):
        NONE = "", _("不适用")
        PENDING = "pending", _("待网格员核实")
        VERIFIED = "verified", _("已核实")
        REJECTED = "rejected", _("未通过")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.STAFF)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    # The phone (residents log in with it) is personal data: AES-GCM
    # ciphertext plus a keyed hash for log-in look-ups and uniqueness, the
    # same scheme as people.Resident. `user.phone` reads and writes both.
    phone_enc = models.TextField(_("手机号(密文)"), blank=True, default="", editable=False)
    phone_hash = models.CharField(
        _("手机号(检索哈希)"), max_length=40, unique=True, null=True, blank=True, editable=False
    )
    resident = models.OneToOneField(
        "people.Resident",
        verbose_name=_("居民档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    resident_status = models.CharField(
        _("核实状态"), max_length=10, choices=ResidentStatus.choices, default="", blank=True
    )
    # The grid a resident registered in, before and after verification.
    home_grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所在网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = WangUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def phone(self) -> str | None:
        """The clear phone (decrypted on first read, then kept on the object)."""
        cached = self.__dict__.get("_phone_clear")
        if cached is not None and cached[0] == self.phone_enc:
            return cached[1]
        value = crypto.decrypt(self.phone_enc) if self.phone_enc else None
        self.__dict__["_phone_clear"] = (self.phone_enc, value)
        return value

    @phone.setter
    def phone(self, value: str | None) -> None:
        value = value or None
        self.phone_enc = crypto.encrypt(value) if value else ""
        self.phone_hash = crypto.keyed_hash(value) if value else None
        self.__dict__["_phone_clear"] = (self.phone_enc, value)

    @property
    def phone_masked(self) -> str:
        from wangge.core.masking import mask_phone

        return mask_phone(self.phone or "")


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for the phone apps. Only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(_("用途"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def new_raw() -> str:
        return "wg_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)


class OtpCode(models.Model):
    """A one-time SMS login code. Neither the phone nor the code is stored in
    clear: both as keyed hashes (accounts.otp)."""

    phone_hash = models.CharField(max_length=40, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=20, default="login")
    ip = models.CharField(max_length=45, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["ip", "created_at"], name="accounts_otp_ip_created")]
