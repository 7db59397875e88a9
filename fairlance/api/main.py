"""The JSON API under /api/v1/: one NinjaAPI, one router module per area."""

from __future__ import annotations

from ninja import NinjaAPI

from fairlance.api.errors import install_error_handlers

api = NinjaAPI(
    title="fairlance API",
    version="1",
    description=(
        "The fairlance marketplace API. Authenticate with `POST /api/v1/auth/token` and send "
        "`Authorization: Bearer <token>`. Errors are `application/problem+json` with a stable "
        "`code`. See docs/api.md."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

# Routers register themselves here; each module is thin: parse, call one domain function.
from fairlance.api import accounts as _accounts  # noqa: E402
from fairlance.api import catalog as _catalog  # noqa: E402
from fairlance.api import contracts as _contracts  # noqa: E402
from fairlance.api import money as _money  # noqa: E402

api.add_router("", _accounts.router)
api.add_router("", _catalog.router)
api.add_router("", _contracts.router)
api.add_router("", _money.router)
