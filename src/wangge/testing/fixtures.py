"""pytest fixtures shared by every app's tests (registered in conftest.py)."""

from __future__ import annotations

import itertools

import pytest

from wangge.testing.trees import Tree, build_tree

_counter = itertools.count(1)


@pytest.fixture
def tree(db) -> Tree:
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
