from django.urls import include, path

from . import views

app_name = "h5"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_send, name="code-send"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register, name="register"),
    path("register/areas/", views.register_areas, name="register-areas"),
    path("register/locate/", views.register_locate, name="register-locate"),
    path("report/", views.report, name="report"),
    path("cases/", views.my_cases, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/rate/", views.case_rate, name="case-rate"),
    path("notices/", views.notices, name="notices"),
    path("ratings/", views.ratings, name="ratings"),
    # 议事, 积分, 办事: pages of their own apps, in this namespace.
    path("", include("wangge.deliberation.h5_urls")),
    path("", include("wangge.points.h5_urls")),
    path("", include("wangge.civic.h5_urls")),
    path("", include("wangge.surveys.h5_urls")),
]
