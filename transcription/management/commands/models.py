from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from transcription import engine


class Command(BaseCommand):
    help = "List the transcription models available here and where each comes from."

    def handle(self, *args: Any, **options: Any) -> None:
        catalogue = engine.model_catalogue()
        width = max([len(name) for name, _source, _location in catalogue] + [4])
        for name, source, location in catalogue:
            marker = "*" if name == settings.MODEL_NAME else " "
            self.stdout.write(f"{marker} {name:<{width}}  {source}  {location}")
        if engine.hub_online():
            self.stdout.write("Other names download from the Hugging Face hub (HF_HUB_OFFLINE=0).")
        else:
            self.stdout.write("Downloads are off (HF_HUB_OFFLINE=1): only the models above work.")
        if settings.MODEL_NAME not in [name for name, _source, _location in catalogue]:
            self.stdout.write(f"MODEL_NAME={settings.MODEL_NAME} is not among them.")
