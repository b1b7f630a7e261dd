"""积分 in the resident H5, included in wangge.h5.urls (namespace h5)."""

from django.urls import path

from . import views

urlpatterns = [
    path("points/", views.points_page, name="points"),
    path("points/redeem/", views.redeem, name="points-redeem"),
    path("points/redemptions/<int:redemption_id>/cancel/", views.cancel, name="points-cancel"),
]
