from django.urls import path

from . import views

app_name = "party"

urlpatterns = [
    path("console/party/", views.console_page, name="console"),
    path("w/party/", views.worker_page_view, name="worker"),
]
