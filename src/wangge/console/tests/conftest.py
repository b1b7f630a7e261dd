"""The console's tests reuse the case engine's world: the `tree`, departments
at street and district level, one user per role, and helpers that walk cases
through the real moves (wangge/cases/tests/conftest.py)."""

from wangge.cases.tests.conftest import (  # noqa: F401 - fixtures and helpers
    IN_MG_A1A_1_1,
    IN_MG_A1A_1_2,
    IN_MG_B1A_1_1,
    World,
    move,
    photo,
    png,
    report,
    walk_to,
    world,
)

from .live import serial_live_server  # noqa: F401 - fixture
