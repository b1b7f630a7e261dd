from django.urls import path

from . import views

app_name = "staffing"

urlpatterns = [
    path("console/staffing/", views.console_list, name="console"),
    path("console/staffing/workers/<int:worker_id>/", views.console_worker, name="console-worker"),
    path("w/staffing/", views.worker_me, name="worker"),
]
