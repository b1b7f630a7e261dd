from django.urls import path

from . import views

app_name = "notices-worker"

urlpatterns = [
    path("", views.worker_index, name="index"),
    path("<int:notice_id>/", views.worker_detail, name="detail"),
    # What the phone's outbox sends (JSON, safe to repeat).
    path("sync/reach/", views.worker_reach, name="reach"),
]
