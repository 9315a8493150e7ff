"""Shapes of the accounts API. The rules themselves live in accounts/services.py."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiToken, User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "username", "full_name", "is_staff", "created_at"]
        read_only_fields = fields


class StaffUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "full_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StaffUserUpdateSerializer(serializers.Serializer):
    email = serializers.CharField(required=False, max_length=254)
    username = serializers.CharField(required=False, max_length=150)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)


class UserListSerializer(serializers.Serializer):
    users = StaffUserSerializer(many=True)
    total = serializers.IntegerField()


class RegisterSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=4096)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=255)


class CredentialsSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=4096)


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, max_length=150)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=255)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False, max_length=4096)
    new_password = serializers.CharField(trim_whitespace=False, max_length=4096)


class PasswordForgotSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class PasswordResetSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)
    new_password = serializers.CharField(trim_whitespace=False, max_length=4096)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class CsrfSerializer(serializers.Serializer):
    csrfToken = serializers.CharField()  # noqa: N815 (the name JS clients expect)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    token = serializers.CharField(help_text="Shown once: store it now.")


class ApiTokenListSerializer(serializers.Serializer):
    tokens = ApiTokenSerializer(many=True)
