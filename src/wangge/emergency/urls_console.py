from django.urls import path

from . import views

app_name = "emergency-console"

urlpatterns = [
    path("", views.console_index, name="index"),
]
