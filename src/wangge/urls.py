from django.contrib import admin
from django.urls import include, path

from wangge.api import api

admin.site.site_header = "网格 Wangge 管理后台"
admin.site.site_title = "网格 Wangge"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("wangge.open311.urls")),
    path("m/notices/", include("wangge.notices.urls_h5")),
    path("", include("wangge.serviceteams.urls")),
    path("", include("wangge.deliberation.staff_urls")),  # /w/ and /console/participation/
    path("", include("wangge.party.urls")),
    path("", include("wangge.staffing.urls")),
    path("m/", include("wangge.h5.urls")),
    path("w/notices/", include("wangge.notices.urls_worker")),
    path("w/emergency/", include("wangge.emergency.urls_worker")),
    path("w/visits/", include("wangge.visits.urls_worker")),
    path("w/", include("wangge.worker.urls")),
    path("console/notices/", include("wangge.notices.urls_console")),
    path("console/emergency/", include("wangge.emergency.urls_console")),
    path("console/visits/", include("wangge.visits.urls_console")),
    path("console/surveys/", include("wangge.surveys.urls_console")),
    path("console/campaigns/", include("wangge.assessment.urls_console")),
    path("console/", include("wangge.console.urls")),
    path("screen/", include("wangge.assessment.urls")),
    path("notices/", include("wangge.notices.urls")),
    path("", include("wangge.web.urls")),
]
