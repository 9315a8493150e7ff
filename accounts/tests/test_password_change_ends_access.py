"""A new password saved by anyone but its owner (`manage.py changepassword`, a shell, a data fix)
ends every session and personal API token of the account, as a reset and the admin do (User.save);
the owner's own change keeps their API tokens; a hash upgraded at sign-in changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from accounts import services
from accounts.api_tokens import create_api_token, user_for_api_token
from accounts.models import User
from accounts.tokens import issue_tokens, user_for_access_token

NEW_PASSWORD = "a new and decent passphrase"


def access_of(user: User) -> tuple[str, str]:
    """A signed-in session's access token and a personal API token of `user`."""
    return issue_tokens(user)[0], create_api_token(user, "laptop")[1]


def still_works(access: str, api_token: str) -> tuple[bool, bool]:
    return user_for_access_token(access) is not None, user_for_api_token(api_token) is not None


def test_changepassword_ends_every_session_and_api_token(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    access, api_token = access_of(alice)
    # The command asks twice at a terminal.
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass",
        lambda prompt="": NEW_PASSWORD,
    )

    call_command("changepassword", alice.email, stdout=StringIO())

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert still_works(access, api_token) == (False, False)


def test_a_password_set_and_saved_in_a_shell_ends_them_too(alice: User) -> None:
    access, api_token = access_of(alice)
    user = User.objects.get(pk=alice.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert still_works(access, api_token) == (False, False)


def test_a_disabled_password_ends_them_too(alice: User) -> None:
    access, api_token = access_of(alice)
    alice.set_unusable_password()
    alice.save(update_fields=["password"])
    assert still_works(access, api_token) == (False, False)


def test_the_owners_own_change_keeps_their_api_tokens(alice: User) -> None:
    access, api_token = access_of(alice)
    services.change_password(alice, NEW_PASSWORD)
    assert still_works(access, api_token) == (False, True)


def test_other_saves_end_nothing(alice: User) -> None:
    access, api_token = access_of(alice)
    alice.full_name = "Alice Liddell"
    alice.save()
    # Saving only other fields, even after a set_password, does not save the password.
    alice.set_password(NEW_PASSWORD)
    alice.save(update_fields=["full_name"])
    assert still_works(access, api_token) == (True, True)


def test_a_hash_upgraded_at_sign_in_ends_nothing(alice: User) -> None:
    # Stored with the older of the two hashers: the next check rehashes it with bcrypt and saves.
    User.objects.filter(pk=alice.pk).update(
        password=make_password(NEW_PASSWORD, hasher="pbkdf2_sha256")
    )
    alice.refresh_from_db()
    access, api_token = access_of(alice)

    assert alice.check_password(NEW_PASSWORD)

    alice.refresh_from_db()
    assert alice.password.startswith("bcrypt_sha256$")
    assert still_works(access, api_token) == (True, True)
