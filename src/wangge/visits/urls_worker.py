"""The worker app's visit pages, included under /w/visits/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.worker_visits, name="visits-worker"),
    path("sync/visit/", views.sync_visit, name="visits-sync-visit"),
    path("sync/care/", views.sync_care, name="visits-sync-care"),
]
