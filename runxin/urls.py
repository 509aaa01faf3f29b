from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("runxin.accounts.urls")),
    path("org/", include("runxin.org.urls")),
    path("students/", include("runxin.people.urls")),
    path("imports/", include("runxin.imports.urls")),
    path("audit/", include("runxin.audit.urls")),
    path("access/", include("runxin.access.urls")),
    path("screening/", include("runxin.screening.urls")),
    path("alerts/", include("runxin.alerts.urls")),
    path("inbox/", include("runxin.notify.urls")),
    path("cases/", include("runxin.cases.urls")),
    path("counseling/", include("runxin.counseling.urls")),
    path("referrals/", include("runxin.referrals.urls")),
    path("visits/", include("runxin.visits.urls")),
    path("analytics/", include("runxin.analytics.urls")),
    path("api/", include("runxin.api.urls")),
    path("", include("runxin.front.urls")),
]
# Error pages: Chinese first, styled like the site, with a way home (templates/400.html … 500.html).
handler400 = "django.views.defaults.bad_request"
handler403 = "django.views.defaults.permission_denied"
handler404 = "django.views.defaults.page_not_found"
handler500 = "django.views.defaults.server_error"
# MEDIA_ROOT holds uploaded rosters: never served as static files, not even with DEBUG on. An import's file is
# downloaded through imports:batch_file, which checks who asks.
