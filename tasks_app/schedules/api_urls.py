from __future__ import annotations

from django.urls import path

from tasks_app.schedules import api

app_name = "schedules_api"

# Mounted at /api/v1/.
urlpatterns = [
    path("schedules", api.schedule_list, name="list"),
    path("schedules/<str:schedule_id>", api.schedule_detail, name="detail"),
    path("schedules/<str:schedule_id>/run", api.schedule_run, name="run"),
    path("schedules/<str:schedule_id>/pause", api.schedule_pause, name="pause"),
    path("schedules/<str:schedule_id>/resume", api.schedule_resume, name="resume"),
    path("schedules/<str:schedule_id>/executions", api.schedule_executions, name="executions"),
]
