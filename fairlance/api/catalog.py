"""Catalog endpoints: browse and search projects, and the freelancer's project editor."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["catalog"])
