from __future__ import annotations

from django.urls import path

from tasks_app.workspaces import api

app_name = "workspaces_api"

# Mounted at /api/v1/, without trailing slashes; `<str:…>` ids so a malformed one gets the API's
# JSON 404.
urlpatterns = [
    path("workspaces", api.WorkspacesView.as_view(), name="list"),
    path("workspaces/<str:workspace_id>", api.WorkspaceDetailView.as_view(), name="detail"),
    path("workspaces/<str:workspace_id>/members", api.MembersView.as_view(), name="members"),
    path(
        "workspaces/<str:workspace_id>/members/<str:user_id>",
        api.MemberDetailView.as_view(),
        name="member",
    ),
    path("invitations", api.InvitationsView.as_view(), name="invitations"),
    path("invitations/<str:invitation_id>", api.InvitationDetailView.as_view(), name="invitation"),
    path(
        "invitations/<str:invitation_id>/accept",
        api.InvitationAcceptView.as_view(),
        name="accept",
    ),
    path(
        "invitations/<str:invitation_id>/decline",
        api.InvitationDeclineView.as_view(),
        name="decline",
    ),
]
