"""居民问卷 in the console (/console/surveys/), included in wangge.urls."""

from django.urls import path

from . import console_views as views

app_name = "surveys-console"

urlpatterns = [
    path("", views.console_index, name="index"),
    path("new/", views.console_create, name="create"),
    path("<int:survey_id>/", views.console_detail, name="detail"),
    path("<int:survey_id>/open/", views.console_open, name="open"),
    path("<int:survey_id>/close/", views.console_close, name="close"),
]
