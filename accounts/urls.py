from __future__ import annotations

from django.urls import path
from django.views.i18n import set_language

from accounts import views

urlpatterns = [
    path("login", views.login_page, name="login"),
    path("register", views.register_page, name="register"),
    path("logout", views.logout_page, name="logout"),
    path("account", views.account_page, name="account"),
    path("password/forgot", views.forgot_password_page, name="forgot_password"),
    path("password/reset/<str:token>", views.reset_password_page, name="reset_password"),
    path("language", set_language, name="set_language"),
]
