"""双向互评 in the console (/console/campaigns/), included in wangge.urls."""

from django.urls import path

from . import console_views as views

app_name = "assessment-console"

urlpatterns = [
    path("", views.campaign_index, name="index"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/rate/", views.campaign_rate, name="rate"),
    path("<int:campaign_id>/close/", views.campaign_close, name="close"),
]
