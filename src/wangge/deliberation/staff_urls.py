"""Staff pages for 议事/积分/办事 (namespace `participation`), mounted at the
site root by wangge.urls: /w/participation/… and /console/participation/…"""

from django.urls import path

from . import staff

app_name = "participation"

urlpatterns = [
    path("w/participation/", staff.worker, name="worker"),
    path("console/participation/", staff.console, name="console"),
    path("participation/topics/", staff.raise_topic, name="raise"),
    path("participation/topics/<int:topic_id>/<str:action>/", staff.topic_action, name="topic"),
    path("participation/comments/<int:comment_id>/moderate/", staff.moderate, name="moderate"),
    path("participation/codes/check/", staff.check_code, name="check"),
    path("participation/awards/", staff.award, name="award"),
]
