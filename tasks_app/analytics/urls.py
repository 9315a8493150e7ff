from __future__ import annotations

from django.urls import path

from tasks_app.analytics import views

urlpatterns = [
    path("analytics", views.analytics_page, name="analytics"),
    path("analytics/export.csv", views.export_csv, name="analytics_csv"),
    path("analytics/export.xlsx", views.export_xlsx, name="analytics_xlsx"),
]
