from django.test import RequestFactory

from wangge.core.errors import Conflict, DomainError
from wangge.core.middleware import DomainErrorMiddleware


def _answer(exc):
    mw = DomainErrorMiddleware(lambda request: None)
    return mw.process_exception(RequestFactory().get("/x/"), exc)


def test_page_domain_errors_keep_their_status_and_chinese_message():
    r = _answer(Conflict("stale", "工单已被他人处理，请刷新"))
    assert r.status_code == 409 and "工单已被他人处理，请刷新" in r.content.decode()
    r = _answer(DomainError("not_found", "未找到，或不在您的管辖范围内", status=404))
    assert r.status_code == 404 and "不在您的管辖范围内" in r.content.decode()


def test_other_exceptions_are_left_to_django():
    assert _answer(ValueError("x")) is None
