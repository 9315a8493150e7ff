"""The /api/v1/workspaces and /api/v1/invitations endpoints: thin views over the workspace
services. Someone outside a workspace gets 404 on every route (a 403 would confirm it exists);
a member whose role is too low gets 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks_app.workspaces import invitations, services
from tasks_app.workspaces.models import Role
from tasks_app.workspaces.serializers import (
    InvitationListSerializer,
    InvitationSerializer,
    InviteSerializer,
    MemberListSerializer,
    MemberSerializer,
    RoleSerializer,
    WorkspaceListSerializer,
    WorkspaceSerializer,
    WorkspaceWriteSerializer,
)
from writers.api import validated
from writers.schema import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; field errors per field."),
    403: OpenApiResponse(ErrorSerializer, description="The caller's role does not allow it."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or not a member."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Not possible now (last admin, personal workspace, already a member or "
        "invited, workspace not empty, invitation already answered); `code` says which.",
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class WorkspaceAPIView(APIView):
    """Turns the services' refusals into the API's error shape."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.Refused):
            return Response({"detail": exc.message, "code": exc.code}, status=exc.http_status)
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return super().handle_exception(exc)


def _workspace_data(user: Any, workspace_id: Any) -> dict[str, Any]:
    return WorkspaceSerializer(services.get_workspace_for_user(user, workspace_id)).data


class WorkspacesView(WorkspaceAPIView):
    @extend_schema(operation_id="workspaces_list", responses=WorkspaceListSerializer)
    def get(self, request: Request) -> Response:
        found = services.workspaces_of(request.user)
        return Response({"workspaces": WorkspaceSerializer(found, many=True).data})

    @extend_schema(
        operation_id="workspaces_create",
        request=WorkspaceWriteSerializer,
        responses={201: WorkspaceSerializer, **errors(400)},
        summary="Create a team workspace; the caller becomes its admin",
    )
    def post(self, request: Request) -> Response:
        data = validated(WorkspaceWriteSerializer, request.data)
        workspace = services.create_workspace(request.user, data["name"])
        return Response(_workspace_data(request.user, workspace.pk), status=201)


class WorkspaceDetailView(WorkspaceAPIView):
    @extend_schema(operation_id="workspaces_retrieve", responses=WorkspaceSerializer)
    def get(self, request: Request, workspace_id: str) -> Response:
        return Response(_workspace_data(request.user, workspace_id))

    @extend_schema(
        operation_id="workspaces_update",
        request=WorkspaceWriteSerializer,
        responses={200: WorkspaceSerializer, **errors(400, 403, 409)},
        summary="Rename a team workspace (admins)",
    )
    def patch(self, request: Request, workspace_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
        data = validated(WorkspaceWriteSerializer, request.data)
        services.rename_workspace(workspace, data["name"])
        return Response(_workspace_data(request.user, workspace.pk))

    @extend_schema(
        operation_id="workspaces_destroy",
        responses={204: None, **errors(403, 409)},
        summary="Delete an empty team workspace (admins)",
    )
    def delete(self, request: Request, workspace_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
        services.delete_workspace(workspace)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersView(WorkspaceAPIView):
    @extend_schema(operation_id="workspaces_members_list", responses=MemberListSerializer)
    def get(self, request: Request, workspace_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id)
        members = services.members_of(workspace)
        return Response({"members": MemberSerializer(members, many=True).data})

    @extend_schema(
        operation_id="workspaces_members_invite",
        request=InviteSerializer,
        responses={201: InvitationSerializer, **errors(400, 403, 409)},
        summary="Invite an account by email or username (admins)",
        description="The invitee is notified and accepts at /api/v1/invitations/{id}/accept. "
        "400 `unknown_user` when nobody has that email or username; 409 `already_member` or "
        "`already_invited`.",
    )
    def post(self, request: Request, workspace_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
        data = validated(InviteSerializer, request.data)
        invitation = invitations.invite(request.user, workspace, data["user"], data["role"])
        return Response(InvitationSerializer(invitation).data, status=201)


class MemberDetailView(WorkspaceAPIView):
    @extend_schema(
        operation_id="workspaces_members_update",
        request=RoleSerializer,
        responses={200: MemberSerializer, **errors(400, 403, 409)},
        summary="Change a member's role (admins); the last admin keeps theirs",
    )
    def patch(self, request: Request, workspace_id: str, user_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
        data = validated(RoleSerializer, request.data)
        member = services.get_member(workspace, user_id)
        services.change_role(workspace, member, data["role"])
        return Response(MemberSerializer(member).data)

    @extend_schema(
        operation_id="workspaces_members_destroy",
        responses={204: None, **errors(403, 409)},
        summary="Remove a member (admins), or leave (any member, naming themselves)",
        description="Access ends at once. Tasks and schedules assigned to the member in this "
        "workspace are unassigned; the tasks they made stay. 409 `last_admin` for the last "
        "admin, `personal_workspace` for a personal workspace.",
    )
    def delete(self, request: Request, workspace_id: str, user_id: str) -> Response:
        workspace = services.get_workspace_for_user(request.user, workspace_id)
        member = services.get_member(workspace, user_id)
        if member.user_id != request.user.pk and workspace.role != Role.ADMIN:
            raise services.refusal(workspace.role)
        services.remove_member(workspace, member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(WorkspaceAPIView):
    @extend_schema(operation_id="invitations_list", responses=InvitationListSerializer)
    def get(self, request: Request) -> Response:
        received = invitations.pending_invitations_for(request.user)
        sent = invitations.sent_invitations(request.user)
        return Response(
            {
                "received": InvitationSerializer(received, many=True).data,
                "sent": InvitationSerializer(sent, many=True).data,
            }
        )


class InvitationDetailView(WorkspaceAPIView):
    @extend_schema(
        operation_id="invitations_revoke",
        responses={204: None, **errors(403, 409)},
        summary="Revoke a pending invitation (admins of its workspace)",
    )
    def delete(self, request: Request, invitation_id: str) -> Response:
        invitation = invitations.get_invitation_for_user(request.user, invitation_id)
        invitations.revoke_invitation(request.user, invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(WorkspaceAPIView):
    @extend_schema(
        operation_id="invitations_accept",
        request=None,
        responses={200: WorkspaceSerializer, **errors(403, 409)},
        summary="Accept an invitation: join its workspace with its role",
    )
    def post(self, request: Request, invitation_id: str) -> Response:
        invitation = invitations.get_invitation_for_user(request.user, invitation_id)
        invitations.accept_invitation(request.user, invitation)
        return Response(_workspace_data(request.user, invitation.workspace_id))


class InvitationDeclineView(WorkspaceAPIView):
    @extend_schema(
        operation_id="invitations_decline",
        request=None,
        responses={200: InvitationSerializer, **errors(403, 409)},
    )
    def post(self, request: Request, invitation_id: str) -> Response:
        invitation = invitations.get_invitation_for_user(request.user, invitation_id)
        invitations.decline_invitation(request.user, invitation)
        invitation.refresh_from_db()
        return Response(InvitationSerializer(invitation).data)
