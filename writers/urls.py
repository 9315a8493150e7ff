from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from writers import health, metrics

handler404 = "writers.api.not_found"
handler500 = "writers.api.server_error"

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/auth/", include("accounts.api_urls")),
    path("api/v1/", include("accounts.users_api_urls")),
    path("api/v1/", include("tasks_app.api_urls")),
    path("api/v1/", include("accounts.integrations_api_urls")),
    path("v1/", include("tasks_app.openai_urls")),
    path("health", health.live, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("", include("accounts.urls")),
    path("", include("accounts.integrations_urls")),
    path("", include("tasks_app.analytics_urls")),
    path("", include("tasks_app.urls")),
]
