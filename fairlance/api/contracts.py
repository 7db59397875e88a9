"""Contract endpoints: read contracts and their events, fire person transitions, purchase."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["contracts"])
