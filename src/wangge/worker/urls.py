from django.urls import path

from . import views

app_name = "worker"

urlpatterns = [
    path("", views.today, name="today"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("report/", views.report, name="report"),
    path("proxy/", views.proxy, name="proxy"),
    path("people/", views.people_page, name="people"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("residents/<int:resident_id>/", views.resident, name="resident"),
    path("residents/<int:resident_id>/unmask/", views.unmask, name="unmask"),
    path("suggest/", views.suggest, name="suggest"),
    path("offline/", views.offline, name="offline"),
    # JSON endpoints the offline outbox sends to (idempotent).
    path("sync/report/", views.sync_report, name="sync-report"),
    path("sync/cases/<int:case_id>/<str:move>/", views.sync_move, name="sync-move"),
    path("presence/", views.presence, name="presence"),
    # Installable app: the service worker is served from /w/ so its scope is /w/.
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("icon-<int:size>.png", views.icon, name="icon"),
]
