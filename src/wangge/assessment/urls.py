from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:area_id>/", views.screen, name="screen"),
    path("<int:area_id>/data/", views.data, name="data"),
    path("<int:area_id>/feed/", views.feed, name="feed"),
    path("<int:area_id>/report.<str:fmt>", views.report, name="report"),
    path(
        "campaigns/<int:campaign_id>/departments/<int:department_id>/feedback.<str:fmt>",
        views.feedback,
        name="feedback",
    ),
]
