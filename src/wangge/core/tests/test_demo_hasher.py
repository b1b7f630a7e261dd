"""The demo accounts' light argon2 hash verifies with the standard argon2
hasher and is replaced by a standard one at the first login."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings

from wangge.core.management.commands.demo import DEMO_PASSWORD

STANDARD = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
LIGHT = ["wangge.core.management.commands.demo.DemoPasswordHasher", *STANDARD]


def test_light_demo_hash_verifies_and_is_upgraded_at_login():
    with override_settings(PASSWORD_HASHERS=LIGHT):
        light = make_password(DEMO_PASSWORD)
    assert "$m=1024,t=1,p=1$" in light
    with override_settings(PASSWORD_HASHERS=STANDARD):
        upgraded = []
        assert check_password(DEMO_PASSWORD, light, setter=upgraded.append)
        assert upgraded == [DEMO_PASSWORD]  # Django re-hashes with the standard parameters
        assert not check_password("wrong-password", light)
        standard = make_password(DEMO_PASSWORD)
        assert "$m=1024,t=1,p=1$" not in standard
        again = []
        assert check_password(DEMO_PASSWORD, standard, setter=again.append)
        assert again == []
