from django.urls import path

from . import views

app_name = "notices-h5"

urlpatterns = [
    path("<int:notice_id>/", views.h5_detail, name="detail"),
]
