"""The form renderer (settings.FORM_RENDERER): Django's, with <select> written in Python.

Django renders a select through three templates, one include per option and one more per option
for its attributes: the dashboard's filter and bulk bar (10 selects, 100 options) spent ~15 ms of
its ~100 ms in them (bench/LOAD.md). The markup here is the templates' own, byte for byte
(writers/tests/test_renderers.py compares them); any other widget, or an option Django would
render with another template or a label that is not text, goes through the templates as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.html import conditional_escape

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class Renderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name == SELECT:
            written = _select(context["widget"])
            if written is not None:
                return written
        return super().render(template_name, context, request=request)


def _text(value: Any) -> str:
    # `{{ value }}` for the text it is given here: escaped unless already marked safe.
    return str(conditional_escape(value))


def _attrs(attrs: dict[str, Any]) -> str:
    # django/forms/widgets/attrs.html
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_text(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name and not isinstance(group_name, str | Promise):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION or not isinstance(option["label"], str | Promise):
                return None
            parts.append(
                f'\n  <option value="{_text(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)
