from django.urls import path

from . import views

app_name = "emergency-worker"

urlpatterns = [
    path("", views.worker_index, name="index"),
    path("<int:mode_id>/<int:grid_id>/", views.worker_grid, name="grid"),
    # What the phone's outbox sends (JSON, Idempotency-Key header).
    path("sync/<int:mode_id>/<int:household_id>/", views.worker_fill, name="fill"),
]
