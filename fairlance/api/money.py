"""Money endpoints: the caller's balance and payout requests."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["money"])
