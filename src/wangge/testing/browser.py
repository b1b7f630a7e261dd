"""Playwright on Debian's chromium (never `playwright install`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading

import pytest

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make sysdeps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own
    # ORM calls are still synchronous, so Django's async guard must stand down.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


@contextlib.contextmanager
def one_request_at_a_time(server):
    """Tests keep SQLite in memory, so Django's live server shares one
    connection among its request threads; two requests on it at once can
    deadlock inside sqlite3 (a page loading several parts in parallel while
    a phone posts). Serialize requests at the WSGI layer: browsers still
    open several connections, the server takes them in turn."""
    httpd = server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                body = list(result)  # a streamed body may still touch the database
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return body

    httpd.set_app(serialized)
    try:
        yield server
    finally:
        httpd.set_app(app)
