from wangge.cases.tests.conftest import world  # noqa: F401  (fixture)
