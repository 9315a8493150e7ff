from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ServiceErrorsMixin:
    """Show an accounts.services ValidationError on the field it names, or above the form."""

    def add_service_error(self, error: ValidationError, field: str | None = None) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)  # type: ignore[attr-defined]
        else:
            self.add_error(field, error)  # type: ignore[attr-defined]


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def refuse(self, message: str) -> None:
        """A wrong email or password: the message above the form, and the cursor in the emptied
        password field, where the mistake usually is."""
        self.add_error(None, message)
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autofocus"] = True


class NewPasswordMixin(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    new_password_confirm = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("new_password"), cleaned.get("new_password_confirm")
        if first and second and first != second:
            self.add_error(
                "new_password_confirm",
                ValidationError(_("The two passwords differ."), code="password_mismatch"),
            )
        return cleaned


class RegisterForm(ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )


class ProfileForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=255, required=False)

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> ProfileForm:
        return cls(data, initial={"username": user.username, "full_name": user.full_name})


class PasswordChangeForm(ServiceErrorsMixin, NewPasswordMixin):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password", "new_password_confirm"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("This is not your current password."), code="wrong_password")
        return password


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ResetPasswordForm(ServiceErrorsMixin, NewPasswordMixin):
    pass
