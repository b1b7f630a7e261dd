from django.urls import path

from . import console_views, views

app_name = "serviceteams"

urlpatterns = [
    path("grids/<int:grid_id>/card.pdf", views.grid_card, name="card"),
    path("grids/<int:grid_id>/map/", views.grid_map, name="grid-map"),
    path("areas/<int:area_id>/cards.pdf", views.area_cards, name="area-cards"),
    path("console/serviceteams/", views.console_page, name="console"),
    path("console/serviceteams/teams/new/", console_views.team_new, name="console-team-new"),
    path("console/serviceteams/teams/<int:team_id>/", console_views.team_page, name="console-team"),
    path("m/activities/", views.resident_activities, name="resident"),
    path("m/grid/<str:code>/", views.grid_page, name="grid-page"),
    path("w/serviceteams/", views.worker_page_view, name="worker"),
    path(
        "w/serviceteams/activities/<int:activity_id>/",
        views.worker_activity,
        name="worker-activity",
    ),
    path(
        "w/serviceteams/activities/<int:activity_id>/checkin/",
        views.worker_check_in,
        name="worker-check-in",
    ),
]
