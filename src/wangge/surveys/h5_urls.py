"""居民问卷 in the resident H5, included in wangge.h5.urls (namespace h5)."""

from django.urls import path

from . import views

urlpatterns = [
    path("surveys/", views.h5_list, name="surveys"),
    path("surveys/<int:survey_id>/", views.h5_answer, name="survey"),
]
