"""议事 in the resident H5, included in wangge.h5.urls (namespace h5)."""

from django.urls import path

from . import views

urlpatterns = [
    path("discuss/", views.discuss, name="discuss"),
    path("discuss/<int:topic_id>/", views.topic, name="topic"),
    path("discuss/<int:topic_id>/vote/", views.vote, name="topic-vote"),
    path("discuss/<int:topic_id>/comment/", views.comment, name="topic-comment"),
    path("discuss/campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
]
