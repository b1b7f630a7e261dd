from wangge.notices.tests.town import town  # noqa: F401 - fixture
