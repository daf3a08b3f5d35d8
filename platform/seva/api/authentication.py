"""Who calls the API: people with their API token (`Authorization: Token <token>`, from
POST /api/v1/auth/token/), partner systems with an API key (`Authorization: Api-Key <key>`)."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .selectors import partner_key_check
from .tokens import TokenRefused, api_token_check

KEYWORD = "Api-Key"
TOKEN_KEYWORD = "Token"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """request.user is the token's owner, request.auth its ApiToken. A token that expired,
    was revoked or predates a password change answers 401 saying which."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _space, token = header.partition(" ")
        if keyword != TOKEN_KEYWORD:
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed("Send one token after 'Token'.")
        try:
            record = api_token_check(token)
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return record.user, record

    def authenticate_header(self, request) -> str:
        return TOKEN_KEYWORD


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """request.user is the partner's account, request.auth its PartnerKey."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _space, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("No API key after 'Api-Key'.")
        found = partner_key_check(key)
        if found is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or was revoked.")
        return found.partner.user, found

    def authenticate_header(self, request) -> str:
        return KEYWORD
