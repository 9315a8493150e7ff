"""Clients for the accounts tests: a browser that keeps cookies and must send CSRF tokens, and a
script that only ever sends `Authorization: Bearer`."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from conftest import PASSWORD


class Browser(APIClient):
    """Enforces CSRF like a real browser session and knows how to sign in."""

    def __init__(self, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **defaults)

    def csrf_token(self) -> str:
        if "csrftoken" not in self.cookies:
            self.get("/api/v1/auth/csrf")
        return self.cookies["csrftoken"].value

    def post_with_csrf(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.post(path, data, format="json", HTTP_X_CSRFTOKEN=self.csrf_token(), **extra)

    def patch_with_csrf(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.patch(path, data, format="json", HTTP_X_CSRFTOKEN=self.csrf_token(), **extra)

    def login_as(self, user: User, password: str = PASSWORD) -> Any:
        response = self.post_with_csrf(
            "/api/v1/auth/login", {"email": user.email, "password": password}
        )
        assert response.status_code == 200, response.content
        return response


def bearer(access: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


@pytest.fixture
def browser(db: Any) -> Browser:
    return Browser()


@pytest.fixture
def script(db: Any) -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Throttle counters live in Redis; start each test clean."""
    cache.clear()
