from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import ApiToken, User


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "username", "full_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    # A password set (or disabled) here ends every session and API token of the user (User.save):
    # it is how an account someone else took over is handed back.
    change_password_form = AdminPasswordChangeForm
    list_display = ["email", "username", "full_name", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", "created_at"]
    search_fields = ["email", "username", "full_name"]
    ordering = ["email"]
    readonly_fields = ["id", "last_login", "created_at", "updated_at", "token_version"]
    actions = ["activate", "deactivate"]
    fieldsets = (
        (None, {"fields": ("id", "email", "username", "full_name", "password")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("History"), {"fields": ("last_login", "created_at", "updated_at", "token_version")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "full_name", "usable_password"),
            },
        ),
        (None, {"fields": ("password1", "password2")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Rights are granted by superusers only, as in the users API; otherwise change_user would
        # let staff make themselves superusers.
        if request.user.is_superuser:
            return self.readonly_fields
        return [*self.readonly_fields, "is_staff", "is_superuser", "groups", "user_permissions"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.may_manage(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.may_manage(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Activate selected users"))
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = _manageable(request, queryset).update(is_active=True)
        self.message_user(request, _("%d user(s) activated.") % count, messages.SUCCESS)

    @admin.action(description=_("Deactivate selected users (their sessions end at once)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Every token is checked against is_active, so no token needs revoking here.
        count = _manageable(request, queryset).exclude(pk=request.user.pk).update(is_active=False)
        self.message_user(request, _("%d user(s) deactivated.") % count, messages.SUCCESS)


def _manageable(request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
    """The rows of `queryset` that request.user may change (User.may_manage, in bulk)."""
    if request.user.is_superuser:
        return queryset
    staff = queryset.filter(Q(is_staff=True) | Q(is_superuser=True)).exclude(pk=request.user.pk)
    return queryset.exclude(pk__in=staff.values("pk"))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    # The hash is useless to a reader and a token is only ever made by its owner.
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke selected API tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("%d token(s) revoked.") % count, messages.SUCCESS)


# Staff sign in to /admin/ with the same login page and cookies as everyone else, so the admin's
# own session-based login and logout views are replaced by the Writers pages.
def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), settings.LOGIN_URL)


def _admin_logout(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    response = HttpResponseRedirect(settings.LOGIN_URL)
    services.logout(request, response)
    return response


admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.logout = _admin_logout  # type: ignore[method-assign]
