from __future__ import annotations

from django.urls import path

from tasks_app.transcripts import speakers_views, views

SEGMENT = "dashboard/tasks/<uuid:task_id>/transcript/segments/<int:segment_id>"
TRANSCRIPT = "dashboard/tasks/<uuid:task_id>/transcript"

urlpatterns = [
    path(SEGMENT, views.segment, name="transcript_segment"),
    path(f"{SEGMENT}/edit", views.segment_edit, name="transcript_segment_edit"),
    path(f"{SEGMENT}/split", views.segment_split, name="transcript_segment_split"),
    path(f"{SEGMENT}/merge", views.segment_merge, name="transcript_segment_merge"),
    path(f"{SEGMENT}/delete", views.segment_delete, name="transcript_segment_delete"),
    path(f"{TRANSCRIPT}/speaker", views.assign_speaker, name="transcript_assign_speaker"),
    path(f"{TRANSCRIPT}/speaker/rename", views.rename_speaker, name="transcript_rename_speaker"),
    path(f"{TRANSCRIPT}/replace", views.replace, name="transcript_replace"),
    path(f"{TRANSCRIPT}/speakers", speakers_views.label_speakers, name="transcript_label_speakers"),
    path(
        f"{TRANSCRIPT}/speakers/status",
        speakers_views.speakers_status,
        name="transcript_speakers_status",
    ),
    path(
        f"{TRANSCRIPT}/revisions/<int:number>/restore",
        views.restore,
        name="transcript_restore",
    ),
]
