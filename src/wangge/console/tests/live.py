"""A live server that answers one request at a time, for browser tests.

The tests' SQLite database lives in memory, so Django's live server shares
one connection among its request threads; two requests using it at the same
moment can deadlock inside sqlite3 (seen here: a console page loads its map,
counts, charts, queue and live feed in parallel while a phone in another
browser context posts a report). Serializing requests at the WSGI layer
removes that without changing the pages: browsers still open several
connections, the server just takes them in turn."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def serial_live_server(live_server):
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                body = list(result)  # a streamed body may still touch the database
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return body

    httpd.set_app(one_at_a_time)
    try:
        yield live_server
    finally:
        httpd.set_app(app)
