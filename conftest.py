import pytest

pytest_plugins = ["wangge.testing.fixtures", "wangge.testing.browser", "wangge.testing.auditing"]


@pytest.fixture
def live_server(live_server):
    """pytest-django's live server, taking one request at a time (see
    wangge.testing.browser.one_request_at_a_time) for every browser test."""
    from wangge.testing.browser import one_request_at_a_time

    with one_request_at_a_time(live_server) as server:
        yield server
