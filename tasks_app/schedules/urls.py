from __future__ import annotations

from django.urls import path

from tasks_app.schedules import views

urlpatterns = [
    path("schedules", views.schedule_list, name="schedules"),
    path("schedules/new", views.schedule_new, name="schedule_new"),
    path("schedules/<int:schedule_id>", views.schedule_detail, name="schedule_detail"),
    path("schedules/<int:schedule_id>/edit", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:schedule_id>/run", views.schedule_run, name="schedule_run"),
    path("schedules/<int:schedule_id>/pause", views.schedule_pause, name="schedule_pause"),
    path("schedules/<int:schedule_id>/resume", views.schedule_resume, name="schedule_resume"),
    path("schedules/<int:schedule_id>/delete", views.schedule_delete, name="schedule_delete"),
]
