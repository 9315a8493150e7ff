from __future__ import annotations

from django.urls import path

from tasks_app import analytics_views

urlpatterns = [
    path("analytics", analytics_views.analytics_page, name="analytics"),
    path("analytics/export.csv", analytics_views.export_csv, name="analytics_csv"),
    path("analytics/export.xlsx", analytics_views.export_xlsx, name="analytics_xlsx"),
]
