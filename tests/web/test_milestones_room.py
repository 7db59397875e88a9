"""The contract room lists the milestones of a contract that has several (issue 12, item 2)."""

from __future__ import annotations

import zoneinfo
from typing import Any

import pytest

from fairlance.contracts.models import Milestone
from tests.contracts.conftest import buy, clock, make_project
from tests.contracts.test_milestones_api import deliver_and_approve, ok, two_milestones
from tests.web.conftest import login
from tests.web.test_delivery_dates_pages import set_zone

pytestmark = pytest.mark.django_db
__all__ = ["clock", "two_milestones"]  # fixtures, used by name


def bought(api: Any, client_user: Any, freelancer: Any) -> int:
    project = make_project(freelancer, questions=False)
    return int(ok(buy(api(client_user), project))["id"])


def test_room_lists_milestones_with_the_current_one_highlighted(
    clock, api, client_user, freelancer, stranger, operator, two_milestones
) -> None:
    # Given a two-milestone contract whose first milestone is approved, read from Tokyo
    cid = bought(api, client_user, freelancer)
    deliver_and_approve(api(client_user), api(freelancer), cid)
    set_zone(client_user, "Asia/Tokyo")
    second = Milestone.objects.get(contract_id=cid, position=1)
    assert second.due_at is not None
    local = second.due_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    # When the parties and an operator open the room
    for who in (client_user, freelancer, operator):
        page = login(who).get(f"/contracts/{cid}/").content.decode()
        # Then both milestones show in order with amount and state in words
        assert 'id="milestones-title">Milestones' in page
        assert page.index("1. Draft") < page.index("2. Final")
        assert "Released to the freelancer" in page and "$40" in page
        # And the current one is highlighted
        current = page[page.index('aria-current="step"') :]
        assert current.index("2. Final") < current.index("</li>")
    # With the due date in the viewer's time zone
    page = login(client_user).get(f"/contracts/{cid}/").content.decode()
    assert f"{local:%H:%M} Asia/Tokyo" in page
    # Strangers and anonymous visitors see no room
    assert login(stranger).get(f"/contracts/{cid}/").status_code == 404
    assert login(None).get(f"/contracts/{cid}/").status_code in (302, 404)


def test_room_of_a_single_milestone_shows_no_list(clock, api, client_user, freelancer) -> None:
    cid = bought(api, client_user, freelancer)
    page = login(client_user).get(f"/contracts/{cid}/").content.decode()
    assert "milestones-title" not in page
