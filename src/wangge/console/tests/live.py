"""Kept for the tests that ask for it by name: every `live_server` now
takes one request at a time (root conftest.py,
wangge.testing.browser.one_request_at_a_time)."""

from __future__ import annotations

import pytest


@pytest.fixture
def serial_live_server(live_server):
    return live_server
