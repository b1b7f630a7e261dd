from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("<int:notice_id>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
