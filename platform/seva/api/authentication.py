"""Partner systems sign their requests with an API key: `Authorization: Api-Key <key>`."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .selectors import partner_key_check

KEYWORD = "Api-Key"


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
