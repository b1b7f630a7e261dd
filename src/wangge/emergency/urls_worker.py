from django.urls import path

from . import views

app_name = "emergency-worker"

urlpatterns = [
    path("", views.worker_index, name="index"),
]
