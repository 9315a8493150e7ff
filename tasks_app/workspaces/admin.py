"""Admin for workspaces: each with its members inline, and invitations by status and role."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from tasks_app.workspaces.models import Invitation, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "personal_owner", "members", "created_by", "created_at"]
    list_filter = [("personal_owner", admin.EmptyFieldListFilter)]
    search_fields = ["name", "personal_owner__email", "memberships__user__email"]
    list_select_related = ["personal_owner", "created_by"]
    readonly_fields = ["personal_owner", "created_by", "created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def members(self, workspace: Any) -> int:
        return workspace.member_count


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "status", "invited_by", "created_at"]
    list_filter = ["status", "role", "created_at"]
    search_fields = ["user__email", "user__username", "workspace__name"]
    list_select_related = ["user", "workspace", "invited_by"]
    readonly_fields = ["created_at", "responded_at"]
    raw_id_fields = ["user", "workspace", "invited_by"]
