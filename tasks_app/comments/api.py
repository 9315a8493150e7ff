"""/api/v1/tasks/{id}/comments: every member reads and comments (viewers too); authors edit and
delete their own comments, admins delete any and read their history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app.api import TaskAPIView, error_response, errors
from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.comments.serializers import (
    CommentHistorySerializer,
    CommentInputSerializer,
    CommentListQuerySerializer,
    CommentListSerializer,
    CommentSerializer,
)
from tasks_app.services import get_task_for_user

NO_COMMENT = OpenApiResponse(description="No such task, or no such comment on it.")


def _invalid(error: ValidationError) -> Response:
    [(field, [first, *_rest])] = error.error_dict.items()
    response = error_response(first.code or "invalid", first.messages[0], 400)
    response.data["field"] = field
    return response


def _body(request: Request) -> str:
    serializer = CommentInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["body"]


class CommentsView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_comments_list",
        description="The task's comments, oldest first; deleted ones only with `deleted=true` "
        "(admins).",
        parameters=[CommentListQuerySerializer],
        responses={200: CommentListSerializer, **errors(403, 404)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        task = get_task_for_user(request.user, task_id)
        query = CommentListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        deleted = query.validated_data["deleted"]
        comments = services.comments_for(task, request.user, deleted=deleted)
        data = CommentSerializer(comments, many=True).data
        return Response({"comments": data, "total": len(comments)})

    @extend_schema(
        operation_id="tasks_comments_create",
        description="Comment on the task (any member, viewers too). Members named as "
        "`@username` are notified; the task's owner and assignee are told of the comment; the "
        "owner's webhooks get `task.commented`.",
        request=CommentInputSerializer,
        responses={201: CommentSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = get_task_for_user(request.user, task_id)
        try:
            comment = services.add_comment(task, request.user, _body(request))
        except ValidationError as error:
            return _invalid(error)
        services.prepare(comment, request.user, task.role)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentView(TaskAPIView):
    def _comment(self, request: Request, task_id: str, comment_id: int) -> Comment:
        task = get_task_for_user(request.user, task_id)
        return services.get_comment(task, comment_id)

    @extend_schema(
        operation_id="tasks_comments_retrieve",
        responses={200: CommentSerializer, 404: NO_COMMENT},
    )
    def get(self, request: Request, task_id: str, comment_id: int) -> Response:
        comment = self._comment(request, task_id, comment_id)
        services.prepare(comment, request.user, comment.task.role)
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        operation_id="tasks_comments_partial_update",
        description="Change the text of your own comment; the old text is kept for admins.",
        request=CommentInputSerializer,
        responses={200: CommentSerializer, **errors(400, 403), 404: NO_COMMENT},
    )
    def patch(self, request: Request, task_id: str, comment_id: int) -> Response:
        comment = self._comment(request, task_id, comment_id)
        try:
            comment = services.edit_comment(comment, request.user, _body(request))
        except ValidationError as error:
            return _invalid(error)
        services.prepare(comment, request.user, comment.task.role)
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        operation_id="tasks_comments_destroy",
        description="Delete your own comment (admins: any). It leaves the list for everyone; "
        "admins still read its text in …/edits.",
        responses={204: OpenApiResponse(description="Deleted."), **errors(403), 404: NO_COMMENT},
    )
    def delete(self, request: Request, task_id: str, comment_id: int) -> Response:
        comment = self._comment(request, task_id, comment_id)
        services.delete_comment(comment, request.user, comment.task.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentEditsView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_comments_edits",
        description="What the comment said before each edit and before its deletion, newest "
        "first: the workspace's admins only (deleted comments too).",
        responses={200: CommentHistorySerializer, **errors(403), 404: NO_COMMENT},
    )
    def get(self, request: Request, task_id: str, comment_id: int) -> Response:
        task = get_task_for_user(request.user, task_id)
        comment = services.get_comment(task, comment_id, deleted=True)
        edits = services.history(comment, task.role)
        return Response(
            CommentHistorySerializer({"edits": edits, "deleted_at": comment.deleted_at}).data
        )
