"""The form renderer writes <select> in Python, with the markup Django's templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.signals import template_rendered
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from writers.renderers import Renderer


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "---"), ("a", "A & B"), ("b", "<b>")])
    lazy = forms.ChoiceField(choices=[("x", gettext_lazy("Priority"))])
    safe = forms.ChoiceField(choices=[("s", mark_safe("<em>safe</em>"))])
    numbers = forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int)
    grouped = forms.ChoiceField(
        choices=[('Group "1"', [("g1", "G1"), ("g2", "G2")]), ("loose", "Loose")]
    )
    many = forms.MultipleChoiceField(choices=[("m1", "M1"), ("m2", "M2")])
    attrs = forms.ChoiceField(
        choices=[("q", "Q")],
        widget=forms.Select(attrs={"id": 'my"id', "hidden": True, "disabled": False}),
    )
    numeric_label = forms.ChoiceField(choices=[("n", 5)])


BOUND = {"plain": "b", "numbers": "2", "grouped": "g2", "many": ["m1", "m2"], "safe": "s"}


@pytest.mark.parametrize("data", [None, BOUND])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_it_writes_every_select_as_djangos_templates_do(data: Any, language: str) -> None:
    with override(language):
        fast = Everything(data, renderer=Renderer())
        slow = Everything(data, renderer=DjangoTemplates())
        for name in Everything.base_fields:
            assert str(fast[name]) == str(slow[name]), name


def test_it_renders_no_template_for_a_select_of_text() -> None:
    rendered: list[str] = []

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        html = str(Everything(BOUND, renderer=Renderer())["plain"])
        str(Everything(renderer=Renderer())["numeric_label"])
    finally:
        template_rendered.disconnect(seen)
    assert '<option value="b" selected>&lt;b&gt;</option>' in html
    # A label that is not text is localised by the template: it still goes through it.
    assert rendered == [
        "django/forms/widgets/select.html",
        "django/forms/widgets/attrs.html",
        "django/forms/widgets/select_option.html",
        "django/forms/widgets/attrs.html",
    ]


def test_the_site_renders_its_forms_with_it() -> None:
    assert isinstance(get_default_renderer(), Renderer)
