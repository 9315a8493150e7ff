from __future__ import annotations

from django.urls import path

from accounts import api

# Mounted at /api/v1/auth/; like every Writers API path, none ends with a slash.
urlpatterns = [
    path("csrf", api.csrf, name="api-auth-csrf"),
    path("register", api.register, name="api-auth-register"),
    path("login", api.login, name="api-auth-login"),
    path("logout", api.logout, name="api-auth-logout"),
    path("refresh", api.refresh, name="api-auth-refresh"),
    path("revoke", api.revoke, name="api-auth-revoke"),
    path("me", api.me, name="api-auth-me"),
    path("password/change", api.password_change, name="api-auth-password-change"),
    path("password/forgot", api.password_forgot, name="api-auth-password-forgot"),
    path("password/reset", api.password_reset, name="api-auth-password-reset"),
    path("token", api.token, name="api-auth-token"),
    path("token/refresh", api.token_refresh, name="api-auth-token-refresh"),
    path("api-tokens", api.api_token_list, name="api-tokens"),
    path("api-tokens/<str:token_id>", api.api_token_detail, name="api-token-detail"),
]
