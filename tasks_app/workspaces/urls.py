from __future__ import annotations

from django.urls import path

from tasks_app.workspaces import views

urlpatterns = [
    path("workspaces", views.workspaces_page, name="workspaces"),
    path("workspaces/invitations", views.invitations_page, name="invitations"),
    path(
        "workspaces/invitations/<int:invitation_id>/accept",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path(
        "workspaces/invitations/<int:invitation_id>/decline",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path(
        "workspaces/invitations/<int:invitation_id>/revoke",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("workspaces/<int:workspace_id>", views.workspace_page, name="workspace"),
    path("workspaces/<int:workspace_id>/rename", views.workspace_rename, name="workspace_rename"),
    path("workspaces/<int:workspace_id>/delete", views.workspace_delete, name="workspace_delete"),
    path("workspaces/<int:workspace_id>/invite", views.workspace_invite, name="workspace_invite"),
    path("workspaces/<int:workspace_id>/leave", views.workspace_leave, name="workspace_leave"),
    path(
        "workspaces/<int:workspace_id>/members/<uuid:user_id>/role",
        views.member_role,
        name="member_role",
    ),
    path(
        "workspaces/<int:workspace_id>/members/<uuid:user_id>/remove",
        views.member_remove,
        name="member_remove",
    ),
]
