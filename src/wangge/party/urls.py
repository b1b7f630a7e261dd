from django.urls import path

from . import console_views, views

app_name = "party"

urlpatterns = [
    path("console/party/", views.console_page, name="console"),
    path("console/party/orgs/new/", console_views.org_new, name="console-org-new"),
    path("console/party/orgs/<int:org_id>/", console_views.org_page, name="console-org"),
    path(
        "console/party/members/<int:member_id>/", console_views.member_page, name="console-member"
    ),
    path("w/party/", views.worker_page_view, name="worker"),
]
