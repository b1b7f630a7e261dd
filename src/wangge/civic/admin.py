from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin, ScopedAdmin

from .models import Booking, Service, Venue


@admin.register(Service)
class ServiceAdmin(ScopedAdmin):
    list_display = ["name", "area", "category", "hotline", "is_active"]
    list_filter = ["category", "is_active"]
    raw_id_fields = ["area"]


@admin.register(Venue)
class VenueAdmin(ScopedAdmin):
    list_display = ["name", "area", "capacity", "slot_minutes", "opens", "closes", "is_active"]
    raw_id_fields = ["area"]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["venue", "starts_at", "ends_at", "purpose", "people", "status"]
    list_filter = ["status"]
