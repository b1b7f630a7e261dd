"""办事 in the resident H5, included in wangge.h5.urls (namespace h5)."""

from django.urls import path

from . import views

urlpatterns = [
    path("services/", views.services_page, name="services"),
    path("services/venues/<int:venue_id>/", views.venue, name="venue"),
    path("services/bookings/<int:booking_id>/cancel/", views.cancel, name="booking-cancel"),
]
