from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class TagIdsField(forms.Field):
    """Tag ids from a repeated query parameter (`tag=3&tag=7`): the dashboard's tag filter."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = [str(v).strip() for v in value or () if str(v).strip()]
        if not all(v.isascii() and v.isdigit() and len(v) < 19 for v in values):
            raise forms.ValidationError(_("Choose tags from the list."), code="invalid")
        return sorted({int(v) for v in values})
