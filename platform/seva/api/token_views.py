"""Signing in to the API and out of it: a token for a username and password (one per
device), the caller's tokens listed without their secrets, one revoked, and signing out."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from seva.core.errors import NotFound, ValidationFailed

from . import schema as doc
from .errors import ErrorBody
from .models import ApiToken
from .pagination import PageNumberPagination
from .tokens import api_token_end, api_token_revoke, api_token_sign_in, api_tokens_of


class TokenRequestInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    device = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            'A name for the device the token is for ("Field tablet"). Signing in again with '
            "the same name replaces that device's token."
        ),
    )
    code = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Officers who must give a second factor: the 6-digit code from their "
            "authenticator app, or from the SMS that `send_code` asks for. Without it such an "
            "officer is answered 400 with `errors.code`."
        ),
    )
    send_code = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send the second factor's code by SMS to the officer's registered mobile.",
    )


def _token_json(token: ApiToken, *, current: ApiToken | None = None) -> dict:
    return {
        "id": token.pk,
        "device": token.device,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "current": current is not None and token.pk == current.pk,
    }


_SIGN_IN_REFUSED = OpenApiResponse(
    ErrorBody,
    description=(
        "Too many requests from this address, or too many failed sign-ins for this account "
        "or from this address (the right password is refused too until the cool-off ends): "
        "`detail` says when to try again, and so does the `Retry-After` header, in seconds."
    ),
)


class TokenApi(APIView):
    """A username and password exchanged for a new API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Per address, as for anyone not signed in; the lock-outs count failed passwords apart.
    throttle_classes = api_settings.DEFAULT_THROTTLE_CLASSES

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Get an API token for a username and password",
        description=(
            "Each call issues a new token, good for `SEVA_API_TOKEN_DAYS` days (see "
            "`expires_at`) or until the password changes, the token is revoked or its holder "
            "signs out. Name the `device`: one token is kept per named device. Officers "
            "whose role decides (and the state admin) give their second factor as `code` "
            "(ask for it by SMS with `send_code`); wrong codes are counted, and after too many "
            "the officer is refused with 403 for a while, the right code too."
        ),
        request=TokenRequestInput,
        responses={
            200: doc.TokenIssued,
            **doc.refusals(*doc.BODY, 403),
            429: _SIGN_IN_REFUSED,
        },
    )
    def post(self, request: Request) -> Response:
        payload = TokenRequestInput(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        issued = api_token_sign_in(
            request=request,
            username=given["username"],
            password=given["password"],
            device=given["device"],
            code=given["code"],
            send_code=given["send_code"],
        )
        record = issued.record
        return Response(
            {
                "token": issued.token,
                "id": record.pk,
                "device": record.device,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
            }
        )


class TokenListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="auth_tokens_list",
        tags=["auth"],
        summary="The caller's API tokens that still work, newest first (never their secrets)",
        responses={200: doc.TokenListed(many=True), **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        tokens = paginator.paginate_queryset(api_tokens_of(user=request.user), request, view=self)
        current = request.auth if isinstance(request.auth, ApiToken) else None
        return paginator.get_paginated_response(
            [_token_json(token, current=current) for token in tokens]
        )


class TokenDetailApi(APIView):
    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        summary="Revoke one of the caller's API tokens",
        parameters=[
            OpenApiParameter(
                "token_id", int, OpenApiParameter.PATH, description="The token's `id`."
            )
        ],
        responses={204: None, **doc.refusals(404, *doc.SIGNED_IN)},
    )
    def delete(self, request: Request, token_id: str) -> Response:
        # Any text reaches this view (a pattern of digits only would leave other text to the
        # site's pages, which answer in HTML): what is not a number is no token of theirs.
        if not token_id.isascii() or not token_id.isdigit() or len(token_id) > 18:
            raise NotFound("You have no token with this id.")
        api_token_revoke(user=request.user, token_id=int(token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutApi(APIView):
    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        summary="Sign out: the token this request was sent with stops working",
        request=None,
        responses={204: None, **doc.refusals(400, *doc.SIGNED_IN)},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise ValidationFailed(
                {"Authorization": ["Sign out with the token you want to end: Token <token>."]}
            )
        api_token_end(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
