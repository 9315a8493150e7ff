"""Shapes of the workspaces API: workspaces, members, invitations."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace
from tasks_app.workspaces.services import NAME_MAX


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email"]
        read_only_fields = fields


class WorkspaceSerializer(serializers.ModelSerializer):
    personal = serializers.BooleanField(source="is_personal", read_only=True)
    role = serializers.ChoiceField(Role.choices, read_only=True, help_text="The caller's role.")
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Workspace
        fields = ["id", "name", "personal", "role", "member_count", "created_at"]
        read_only_fields = fields


class WorkspaceListSerializer(serializers.Serializer):
    workspaces = WorkspaceSerializer(many=True)


class WorkspaceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)


class MemberSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "joined_at"]
        read_only_fields = fields


class MemberListSerializer(serializers.Serializer):
    members = MemberSerializer(many=True)


class InviteSerializer(serializers.Serializer):
    user = serializers.CharField(max_length=254, help_text="The invitee's email or username.")
    role = serializers.ChoiceField(Role.choices, default=Role.EDITOR)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(Role.choices)


class WorkspaceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workspace
        fields = ["id", "name"]
        read_only_fields = fields


class InvitationSerializer(serializers.ModelSerializer):
    workspace = WorkspaceBriefSerializer(read_only=True)
    user = PersonSerializer(read_only=True)
    invited_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "workspace",
            "user",
            "invited_by",
            "role",
            "status",
            "created_at",
            "responded_at",
        ]
        read_only_fields = fields


class InvitationListSerializer(serializers.Serializer):
    received = InvitationSerializer(many=True, help_text="Pending invitations to the caller.")
    sent = InvitationSerializer(
        many=True, help_text="Pending invitations to the workspaces the caller is an admin of."
    )
