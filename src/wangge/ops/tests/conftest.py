# The case engine's test world (areas, departments, one user per role).
from wangge.cases.tests.conftest import world  # noqa: F401
