from __future__ import annotations

from django.urls import path

from tasks_app import api
from tasks_app.attachments import api as attachments_api
from tasks_app.comments import api as comments_api
from tasks_app.tags import api as tags_api
from tasks_app.transcripts import api as transcripts_api
from tasks_app.transcripts import speakers_api

app_name = "tasks_api"

# No trailing slashes, as the API has always been spelled. `<str:…>` rather than `<uuid:…>` so a
# malformed id gets the API's JSON 404 instead of the site's HTML one.
urlpatterns = [
    path("tasks", api.TasksView.as_view(), name="list"),
    path("tasks/bulk", api.TasksBulkView.as_view(), name="bulk"),
    path("tasks/bulk-update", api.TasksBulkUpdateView.as_view(), name="bulk_update"),
    path("tasks/<str:task_id>", api.TaskDetailView.as_view(), name="detail"),
    path("tasks/<str:task_id>/cancel", api.TaskCancelView.as_view(), name="cancel"),
    path("tasks/<str:task_id>/retry", api.TaskRetryView.as_view(), name="retry"),
    path("tasks/<str:task_id>/restore", api.TaskRestoreView.as_view(), name="restore"),
    path("tasks/<str:task_id>/file", api.TaskFileView.as_view(), name="file"),
    path("tasks/<str:task_id>/result", api.TaskResultView.as_view(), name="result"),
    path("tasks/<str:task_id>/thumbnail", api.TaskThumbnailView.as_view(), name="thumbnail"),
    path("tasks/<str:task_id>/audio", api.TaskAudioView.as_view(), name="audio"),
    path("tasks/<str:task_id>/analyze", api.TaskAnalyzeView.as_view(), name="analyze"),
    path("tasks/<str:task_id>/tags", tags_api.task_tags, name="task_tags"),
    path("tasks/<str:task_id>/tags/<str:tag_id>", tags_api.task_tag, name="task_tag"),
    path("tasks/<str:task_id>/speakers", speakers_api.TaskSpeakersView.as_view(), name="speakers"),
    path(
        "tasks/<str:task_id>/attachments",
        attachments_api.AttachmentsView.as_view(),
        name="attachments",
    ),
    path(
        "tasks/<str:task_id>/attachments/<str:attachment_id>",
        attachments_api.AttachmentView.as_view(),
        name="attachment",
    ),
    path(
        "tasks/<str:task_id>/attachments/<str:attachment_id>/analyze",
        attachments_api.AttachmentAnalyzeView.as_view(),
        name="attachment_analyze",
    ),
    path(
        "tasks/<str:task_id>/transcript",
        transcripts_api.TranscriptView.as_view(),
        name="transcript",
    ),
    path(
        "tasks/<str:task_id>/transcript/revisions",
        transcripts_api.TranscriptRevisionsView.as_view(),
        name="transcript_revisions",
    ),
    path(
        "tasks/<str:task_id>/transcript/revisions/<int:number>/restore",
        transcripts_api.TranscriptRestoreView.as_view(),
        name="transcript_restore",
    ),
    path("tasks/<str:task_id>/comments", comments_api.CommentsView.as_view(), name="comments"),
    path(
        "tasks/<str:task_id>/comments/<int:comment_id>",
        comments_api.CommentView.as_view(),
        name="comment",
    ),
    path(
        "tasks/<str:task_id>/comments/<int:comment_id>/edits",
        comments_api.CommentEditsView.as_view(),
        name="comment_edits",
    ),
]
