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


@pytest.fixture
def contexts(browser):
    """make(**options) -> a page in a new zh-CN browser context, closed after
    the test: for tests with several users (resident, dispatcher, worker)."""
    made = []

    def make(**options):
        ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        made.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(30000)  # the machine is shared; pages can be slow
        return page

    yield make
    for ctx in made:
        ctx.close()


def phone(contexts):
    """A page on a 375×812 touch phone, service workers blocked."""
    return contexts(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        service_workers="block",
    )


def staff_login(page, base: str, path: str, username: str, password: str) -> None:
    """Open a staff page, sign in on the login page it redirects to, land on it."""
    import re

    from playwright.sync_api import expect

    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + path)
