"""The JSON API: one NinjaAPI, one Router per app, mounted under /api/v1/."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.core.errors import DomainError

api = NinjaAPI(
    title="网格 Wangge API",
    version="1",
    description="网格化管理、组团式服务平台 JSON API。登录后使用会话 Cookie，或在 Authorization 头中使用 Bearer 令牌。",
    # Bearer first: a phone app sends a token and no CSRF cookie; the session
    # (with its CSRF check) is for pages.
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(
        request, {"code": "not_found", "message": _("未找到，或不在您的管辖范围内")}, status=404
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request, {"code": "unauthenticated", "message": _("请先登录")}, status=401
    )


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(
        request,
        {"code": "invalid", "message": _("请求参数有误"), "errors": exc.errors},
        status=422,
    )


def _mount() -> None:
    from wangge.accounts.api import router as accounts_router
    from wangge.areas.api import router as areas_router
    from wangge.people.api import router as people_router
    from wangge.teams.api import router as teams_router

    api.add_router("/auth", accounts_router)
    api.add_router("/areas", areas_router)
    api.add_router("/people", people_router)
    api.add_router("/teams", teams_router)

    from wangge.cases.api import router as cases_router

    api.add_router("/cases", cases_router)

    from wangge.visits.api import router as visits_router

    api.add_router("/visits", visits_router)

    from wangge.staffing.api import router as staffing_router

    api.add_router("/staffing", staffing_router)

    from wangge.emergency.api import router as emergency_router
    from wangge.notices.api import router as notices_router

    api.add_router("/notices", notices_router)
    api.add_router("/emergency", emergency_router)

    from wangge.assessment.api import router as assessment_router

    api.add_router("/assessment", assessment_router)

    from wangge.serviceteams.api import router as serviceteams_router

    api.add_router("/serviceteams", serviceteams_router)

    from wangge.party.api import router as party_router

    api.add_router("/party", party_router)

    from wangge.civic.api import router as civic_router
    from wangge.deliberation.api import router as topics_router
    from wangge.points.api import router as points_router

    api.add_router("/topics", topics_router)
    api.add_router("/points", points_router)
    api.add_router("/civic", civic_router)

    from wangge.surveys.api import router as surveys_router

    api.add_router("/surveys", surveys_router)


_mount()
