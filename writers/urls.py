from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from writers import health, metrics

handler400 = "writers.api.bad_request"
handler403 = "writers.api.permission_denied"
handler404 = "writers.api.not_found"
handler500 = "writers.api.server_error"

# INSTALLED_APPS has SimpleAdminConfig: the admin modules load here, in the web only.
admin.autodiscover()

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    # Webhooks moved from accounts to tasks_app.integrations: old admin links still work.
    re_path(
        r"^admin/accounts/(?P<model>webhook|webhookdelivery)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/tasks_app/%(model)s/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/auth/", include("accounts.api_urls")),
    path("api/v1/", include("accounts.users_api_urls")),
    path("api/v1/", include("tasks_app.api_urls")),
    path("api/v1/", include("tasks_app.tags.api_urls")),
    path("api/v1/", include("tasks_app.integrations.api_urls")),
    path("api/v1/", include("tasks_app.analytics.api_urls")),
    path("api/v1/", include("tasks_app.workspaces.api_urls")),
    path("api/v1/", include("tasks_app.schedules.api_urls")),
    path("v1/", include("tasks_app.openai.urls")),
    path("health", health.live, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("", include("accounts.urls")),
    path("", include("tasks_app.integrations.urls")),
    path("", include("tasks_app.analytics.urls")),
    path("", include("tasks_app.workspaces.urls")),
    path("", include("tasks_app.urls")),
]
