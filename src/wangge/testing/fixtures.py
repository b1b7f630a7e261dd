"""pytest fixtures shared by every app's tests (registered in conftest.py)."""

from __future__ import annotations

import itertools

import pytest

from wangge.testing.trees import Tree, build_tree

_counter = itertools.count(1)


def ensure_seed_data() -> None:
    """Rows that data migrations put in every database (the default case
    catalogue, the built-in care groups, the default visit quotas and care
    frequencies, the 12345/96345 hotlines). A transactional test (browser,
    live server) flushes them when it ends; put them back for the next test
    on this worker, so no test depends on the order tests run in."""
    import importlib

    from django.apps import apps

    from wangge.cases.models import Category
    from wangge.people.models import CareGroup

    if not Category.objects.exists():
        importlib.import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)
    if CareGroup.objects.filter(builtin=True).count() < 3:
        importlib.import_module("wangge.people.migrations.0002_builtin_care_groups").add(apps, None)
    from wangge.civic.models import Service
    from wangge.visits.models import QuotaRule

    if not QuotaRule.objects.exists():
        importlib.import_module("wangge.visits.migrations.0002_defaults").seed(apps, None)
    if not Service.objects.filter(area=None).exists():
        importlib.import_module("wangge.civic.migrations.0002_hotlines").add(apps, None)


@pytest.fixture
def tree(db) -> Tree:
    ensure_seed_data()
    return build_tree()


@pytest.fixture
def make_staff(db):
    """make_staff(role, area, **fields) -> a staff user holding `role` on `area`."""
    from wangge.accounts.models import User
    from wangge.teams.models import RoleAssignment

    def make(role: str, area, *, department=None, password: str = "pass-Wangge-2026", **fields):
        n = next(_counter)
        user = User.objects.create_user(
            username=fields.pop("username", f"staff{n}"),
            password=password,
            kind="staff",
            name=fields.pop("name", f"工作人员{n}"),
            **fields,
        )
        RoleAssignment.objects.create(
            user=user, role=role, area=area, area_path=area.path, department=department
        )
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_reference_caches():
    """In-process caches of reference data (catalogue, routing) must not
    carry ids from a previous test's rolled-back rows into the next test."""
    from wangge.cases.services import clear_caches

    clear_caches()
    yield
    clear_caches()
