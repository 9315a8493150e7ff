from __future__ import annotations

from django.urls import path

from tasks_app.openai import api

# Mounted at /v1/, where OpenAI's clients look for it (base_url="https://writers…/v1").
urlpatterns = [
    path(
        "audio/transcriptions",
        api.TranscriptionsView.as_view(),
        name="openai-transcriptions",
    ),
    path("audio/translations", api.TranslationsView.as_view(), name="openai-translations"),
    path("models", api.ModelsView.as_view(), name="openai-models"),
]
