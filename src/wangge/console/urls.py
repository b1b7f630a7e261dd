from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue, name="queue"),
    path("feed/", views.feed, name="feed"),
    path("cases/<int:case_id>/", views.case_panel, name="case"),
    path("cases/<int:case_id>/moves/<str:move>/", views.case_move, name="case-move"),
    path("map/<int:area_id>/shapes/", views.map_shapes, name="map-shapes"),
    path("map/<int:area_id>/counts/", views.map_counts, name="map-counts"),
    path("charts/", views.charts, name="charts"),
    path("export/", views.export, name="export"),
]
