from django.urls import path

from . import views

app_name = "emergency-console"

urlpatterns = [
    path("", views.console_index, name="index"),
    path("start/", views.console_start, name="start"),
    path("<int:mode_id>/", views.console_detail, name="detail"),
    path("<int:mode_id>/progress/", views.console_progress, name="progress"),
    path("<int:mode_id>/assign/", views.console_assign, name="assign"),
    path("<int:mode_id>/end/", views.console_end, name="end"),
]
