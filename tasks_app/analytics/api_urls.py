from __future__ import annotations

from django.urls import path

from tasks_app.analytics import api

# Mounted at /api/v1/, without trailing slashes like the rest of the API.
urlpatterns = [
    path("analytics/overview", api.overview, name="api-analytics-overview"),
    path("analytics/trends", api.trends, name="api-analytics-trends"),
    path("analytics/users", api.users, name="api-analytics-users"),
    path("analytics/export.csv", api.export_csv, name="api-analytics-csv"),
    path("analytics/export.xlsx", api.export_xlsx, name="api-analytics-xlsx"),
]
