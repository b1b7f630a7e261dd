"""The console's visits page, included under /console/visits/."""

from django.urls import path

from . import views

urlpatterns = [path("", views.console_visits, name="visits-console")]
