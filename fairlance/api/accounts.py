"""Account endpoints: tokens, the caller's profile and working calendar."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema, Status

from fairlance.accounts.models import ApiToken
from fairlance.core.errors import NotAuthenticated

router = Router(tags=["accounts"])


class TokenIn(Schema):
    email: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


@router.post("/auth/token", response={201: TokenOut}, auth=None)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    user = authenticate(
        request, email=payload.email[:254].lower(), password=payload.password[:1000]
    )
    if user is None or not user.is_active:
        raise NotAuthenticated("Email or password is wrong.", code="invalid_credentials")
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(raw), name=payload.name[:80])
    return Status(201, TokenOut(token=raw))
