from django.urls import path

from . import views

app_name = "notices-console"

urlpatterns = [
    path("", views.console_index, name="index"),
    path("send/", views.console_send, name="send"),
    path("<int:notice_id>/", views.console_detail, name="detail"),
    path("<int:notice_id>/progress/", views.console_progress, name="progress"),
]
