"""Issue 10, items 1 and 6 on the pages: the project page and checkout show the exact date
the contract then gets, booked time off shows on the project page, add-ons with signed
days change the delivery, and the editor says (and enforces) their bounds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from fairlance.accounts.models import User
from fairlance.accounts.services import calendar_update, time_off_add
from fairlance.catalog.inputs import AddOnInput, QuestionInput, TierInput
from fairlance.catalog.models import AddOn, Project
from fairlance.catalog.services import EXTRA_DAYS_MAX, EXTRA_DAYS_MIN
from fairlance.contracts.models import Contract
from fairlance.core.policy import DEFAULT_POLICY
from fairlance.web.contract_presenters import checkout_quote
from tests.conftest import ApiClient
from tests.web.conftest import login, make_project
from tests.web.test_freelancer_pages import editor_data

pytestmark = pytest.mark.django_db

# Thu 24 Dec 2026 18:00 in Lisbon (on UTC in winter).
CHRISTMAS_EVE_18H = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)


def set_zone(user: User, zone: str, holidays: str | None = None) -> None:
    calendar_update(
        user=user,
        time_zone=zone,
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country=holidays,
        holiday_subdivision=None,
    )


def lisbon_project(freelancer: User, **overrides: Any) -> Project:
    """Basic 3 days, Premium 6 days, an express add-on (-2 days), one required question;
    delivery in working days (the default)."""
    set_zone(freelancer, "Europe/Lisbon", "PT")
    fields: dict[str, Any] = {
        "tiers": (
            TierInput(name="Basic", price_minor=12_000, delivery_days=3),
            TierInput(name="Premium", price_minor=30_000, delivery_days=6),
        ),
        "addons": (
            AddOnInput(title="Express delivery", price_minor=9_000, extra_delivery_days=-2),
        ),
        "questions": (QuestionInput(prompt="What is the brand name?"),),
    }
    fields.update(overrides)
    return make_project(freelancer, **fields)


def times_shown(html: str) -> dict[str, str]:
    """The project page's delivery dates: tier name -> the <time> instant."""
    found = re.findall(r'<strong>([^<]+)</strong> — delivered by <time datetime="([^"]+)"', html)
    return dict(found)


def checkout_date(html: str) -> str:
    match = re.search(r'<time id="sum-date" datetime="([^"]+)">([^<]+)</time>', html)
    assert match, "the checkout shows a delivery date"
    return match.group(1)


def test_project_page_and_checkout_show_the_date_the_contract_gets(freelancer, client_user) -> None:
    # Given a Lisbon freelancer's project and a client in New York
    project = lisbon_project(freelancer)
    set_zone(client_user, "America/New_York")
    premium = project.tiers.get(name="Premium").pk
    express = project.addons.get().pk
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        browser = login(client_user)
        # When the client reads the project page on Thu 24 Dec 18:00 Lisbon time
        page = browser.get(f"/projects/{project.pk}/").content.decode()
        # Then each tier's date is shown in the client's zone, with its explanation
        assert times_shown(page) == {
            "Basic": "2026-12-30T18:00:00+00:00",
            "Premium": "2027-01-05T18:00:00+00:00",
        }
        assert ">Wed 30 Dec 13:00</time>" in page
        assert "America/New_York, your time zone" in page
        assert (
            "3 working days after work starts (Thu 24 Dec 18:00 Europe/Lisbon); Christmas Day "
            "and the weekend skipped"
        ) in page
        assert "These dates hold if you send your requirements now" in page

        # When the client picks Premium with the express add-on ("Update total", no JS)
        chosen = {"tier": premium, "addons": [express], "card_number": "", "update": "1"}
        checkout = browser.post(f"/projects/{project.pk}/checkout/", chosen)
        html = checkout.content.decode()
        # Then checkout counts 6 - 2 = 4 working days and shows that date
        assert checkout.status_code == 200
        assert '<span id="sum-days">4 working days</span>' in html
        shown = checkout_date(html)
        assert shown == "2026-12-31T18:00:00+00:00"
        assert ">Thu 31 Dec 13:00</time>" in html
        assert "This date holds if you send your requirements now" in html
        # And the live preview knows the same dates (sums of days -> days and date)
        assert '"4": {"days": 4, "local": "Thu 31 Dec 13:00"' in html
        assert '"1": {"days": 1' in html  # Basic with express: 3 - 2

        # When the client buys it and sends the requirements at once
        bought = browser.post(
            f"/projects/{project.pk}/checkout/",
            {"tier": premium, "addons": [express], "card_number": "4242424242424242", "buy": "1"},
        )
        assert bought.status_code == 302
        contract = Contract.objects.get()
        question = str(project.questions.get().pk)
        api = ApiClient(client_user)
        started = api.post(
            f"contracts/{contract.pk}/submit_requirements", {"answers": {question: "Acme"}}
        ).json()

    # Then the contract is due exactly when checkout said, after 4 working days
    assert started["delivery_days"] == 4
    assert started["delivery_due_at"] == shown
    due = next(d for d in started["deadlines"] if d["name"] == "delivery_due")
    assert due["at"] == shown
    assert "4 working days after work starts" in due["explanation"]
    # And the contract room shows that due
    room = browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Thu 31 Dec 13:00" in room


def test_a_tier_bought_through_the_api_gets_the_project_pages_date(
    api, freelancer, client_user
) -> None:
    # Given the project page as an anonymous visitor sees it on Christmas Eve
    project = lisbon_project(freelancer, questions=())
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        page = login(None).get(f"/projects/{project.pk}/").content.decode()
        basic = project.tiers.get(name="Basic").pk
        body = api(client_user).post(
            f"projects/{project.pk}/purchase", {"tier_id": basic, "card_number": "4242424242424242"}
        )
    # Then the anonymous page showed the freelancer's zone, and work starting with payment
    assert "Europe/Lisbon, the freelancer&#x27;s time zone" in page
    assert "Work starts as soon as you pay." in page
    assert ">Wed 30 Dec 18:00</time>" in page
    # And the contract bought then is due at the date the page showed
    assert body.json()["delivery_due_at"] == times_shown(page)["Basic"]


def test_a_request_says_its_dates_assume_the_freelancer_accepts_now(freelancer) -> None:
    project = lisbon_project(freelancer, purchase_mode="request")
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        page = login(None).get(f"/projects/{project.pk}/").content.decode()
    assert "These dates hold if the freelancer accepts your request now" in page
    assert times_shown(page)["Basic"] == "2026-12-30T18:00:00+00:00"


def test_booked_time_off_shows_on_the_project_page_and_moves_the_dates(freelancer) -> None:
    # Given a Lisbon freelancer with time off after Christmas, an away week in February
    # and time off that is already over
    project = lisbon_project(freelancer, questions=())
    time_off_add(
        user=freelancer, start_date=date(2026, 12, 28), end_date=date(2027, 1, 1), away=False
    )
    time_off_add(user=freelancer, start_date=date(2027, 2, 8), end_date=date(2027, 2, 12))
    time_off_add(
        user=freelancer, start_date=date(2026, 11, 2), end_date=date(2026, 11, 3), away=False
    )
    # When anyone opens the project page on Christmas Eve
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        page = login(None).get(f"/projects/{project.pk}/").content.decode()
    # Then the booked time off is listed (not the past one), and deliveries skip it
    assert (
        "<strong>Time off:</strong> Mon 28 Dec to Fri 1 Jan; Mon 8 Feb to Fri 12 Feb "
        "(away: no new purchases) — deliveries skip these days."
    ) in page
    assert "Mon 2 Nov" not in page
    # 3 working days: Christmas, the weekends, the time off and New Year's Day skipped
    assert times_shown(page)["Basic"] == "2027-01-06T18:00:00+00:00"
    assert "time off from Mon 28 Dec to Thu 31 Dec" in page


def test_time_off_on_a_calendar_day_project_says_it_does_not_move_delivery(freelancer) -> None:
    project = lisbon_project(freelancer, questions=(), delivery_in_working_days=False)
    time_off_add(
        user=freelancer, start_date=date(2026, 12, 28), end_date=date(2026, 12, 30), away=False
    )
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        page = login(None).get(f"/projects/{project.pk}/").content.decode()
    assert "this project counts calendar days, so its delivery dates do not skip them" in page
    # 3 calendar days from Thu 18:00 is Sunday, which is before the grace window ends (the
    # first working day after Christmas, the weekend and the time off): it moves there.
    assert times_shown(page)["Basic"] == "2026-12-31T18:00:00+00:00"


def test_an_away_freelancer_shows_time_off_but_no_dates(freelancer) -> None:
    project = lisbon_project(freelancer)
    time_off_add(user=freelancer, start_date=date(2026, 12, 21), end_date=date(2027, 1, 3))
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        page = login(None).get(f"/projects/{project.pk}/").content.decode()
    assert "Away — back on" in page
    assert "Mon 21 Dec to Sun 3 Jan (away: no new purchases)" in page
    assert times_shown(page) == {}


@pytest.mark.parametrize("who", ["anonymous", "client", "stranger", "owner", "operator"])
def test_delivery_dates_on_the_project_page_per_viewer(
    who, freelancer, client_user, stranger, operator
) -> None:
    # Given a published project and viewers in their own zones (the owner in Lisbon)
    project = lisbon_project(freelancer, questions=())
    set_zone(client_user, "Asia/Tokyo")
    set_zone(stranger, "America/New_York")
    set_zone(operator, "Europe/Amsterdam")
    viewer = {
        "anonymous": None,
        "client": client_user,
        "stranger": stranger,
        "owner": freelancer,
        "operator": operator,
    }[who]
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        response = login(viewer).get(f"/projects/{project.pk}/")
    # Then everyone may read the dates of a published project, each in their own zone
    expected = {
        "anonymous": ("Wed 30 Dec 18:00", "Europe/Lisbon, the freelancer&#x27;s time zone"),
        "client": ("Thu 31 Dec 03:00", "Asia/Tokyo, your time zone"),
        "stranger": ("Wed 30 Dec 13:00", "America/New_York, your time zone"),
        "owner": ("Wed 30 Dec 18:00", "Europe/Lisbon, your time zone"),
        "operator": ("Wed 30 Dec 19:00", "Europe/Amsterdam, your time zone"),
    }[who]
    html = response.content.decode()
    assert response.status_code == 200
    assert f">{expected[0]}</time>" in html and expected[1] in html


def test_a_draft_projects_dates_are_for_its_owner_and_operators_only(
    freelancer, stranger, operator
) -> None:
    project = lisbon_project(freelancer, publish=False)
    url = f"/projects/{project.pk}/"
    # Strangers and anonymous visitors get a 404, never a hint the project exists
    assert login(None).get(url).status_code == 404
    assert login(stranger).get(url).status_code == 404
    # Owner and operator see the page; nothing can be bought, so no dates are promised
    for viewer in (freelancer, operator):
        html = login(viewer).get(url).content.decode()
        assert times_shown(html) == {}


def test_the_checkout_date_is_for_logged_in_buyers_only(freelancer, client_user, stranger):
    project = lisbon_project(freelancer, publish=False)
    # Anonymous visitors log in first; a draft's checkout is a 404 for others
    assert login(None).get(f"/projects/{project.pk}/checkout/").status_code == 302
    assert login(stranger).get(f"/projects/{project.pk}/checkout/").status_code == 404


# --- add-ons with signed days ------------------------------------------------------------


def test_a_shortening_add_on_gives_four_days_in_the_quote() -> None:
    tier = TierInput(name="Six", price_minor=10_000, delivery_days=6)
    express = AddOnInput(title="Express", price_minor=2_000, extra_delivery_days=-2)
    rush = AddOnInput(title="Rush", price_minor=2_000, extra_delivery_days=-9)
    assert checkout_quote(tier=tier, addons=[express], policy=DEFAULT_POLICY).delivery_days == 4
    # A purchase never gets fewer than 1 day
    assert checkout_quote(tier=tier, addons=[rush], policy=DEFAULT_POLICY).delivery_days == 1


def test_the_floor_of_one_working_day_holds_for_a_contract(api, freelancer, client_user):
    # Given a 2-day tier and an add-on taking 5 days off, bought on Wednesday 10:00 UTC
    project = make_project(
        freelancer,
        tiers=(TierInput(name="Quick", price_minor=5_000, delivery_days=2),),
        addons=(AddOnInput(title="Rush", price_minor=1_000, extra_delivery_days=-5),),
        questions=(),
    )
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        body = api(client_user).post(
            f"projects/{project.pk}/purchase",
            {
                "tier_id": project.tiers.get().pk,
                "addon_ids": [project.addons.get().pk],
                "card_number": "4242424242424242",
            },
        )
    # Then the contract has 1 working day: Thursday 10:00
    assert body.status_code == 201, body.content
    assert body.json()["delivery_days"] == 1
    assert body.json()["delivery_due_at"] == "2026-03-05T10:00:00+00:00"
    assert body.json()["snapshot"]["addons"][0]["extra_delivery_days"] == -5


def test_the_project_page_and_checkout_write_signed_add_on_days(freelancer, client_user):
    project = lisbon_project(
        freelancer,
        addons=(
            AddOnInput(title="Express delivery", price_minor=9_000, extra_delivery_days=-2),
            AddOnInput(title="Animated logo", price_minor=9_000, extra_delivery_days=3),
        ),
    )
    page = login(None).get(f"/projects/{project.pk}/").content.decode()
    checkout = login(client_user).get(f"/projects/{project.pk}/checkout/").content.decode()
    for html in (page, checkout):
        assert "\u22122 working days delivery" in html and "+3 working days delivery" in html
        assert "+-2" not in html


def test_add_on_days_out_of_bounds_are_refused_by_the_api_in_words(api, freelancer):
    seller = api(freelancer)
    base = {
        "title": "A hand-drawn logo for a bakery",
        "category": "design",
        "tiers": [{"name": "Basic", "price_minor": 10_000, "delivery_days": 6}],
    }
    for days in (EXTRA_DAYS_MIN - 1, EXTRA_DAYS_MAX + 1):
        response = seller.post(
            "projects",
            {**base, "addons": [{"title": "X", "price_minor": 1_000, "extra_delivery_days": days}]},
        )
        assert response.status_code == 422, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        error = response.json()["errors"][0]
        assert error["field"] == "addons.0.extra_delivery_days"
        assert error["message"] == (
            "Enter a number of days from -60 to 365: a negative number shortens delivery, "
            "a positive one adds days."
        )
    assert not Project.objects.exists()
    # While a negative number within the bounds is an express add-on
    created = seller.post(
        "projects",
        {**base, "addons": [{"title": "Express", "price_minor": 1_000, "extra_delivery_days": -2}]},
    )
    assert created.status_code == 201
    assert created.json()["addons"][0]["extra_delivery_days"] == -2


def test_the_editor_shows_the_bounds_and_refuses_days_outside_them(freelancer, stranger):
    browser = login(freelancer)
    # The editor's add-on input carries the service's bounds and says what negative means
    form = browser.get("/my/projects/new/").content.decode()
    assert f'min="{EXTRA_DAYS_MIN}"' in form and f'max="{EXTRA_DAYS_MAX}"' in form
    assert "a negative number shortens it" in form
    # and new projects count working days unless the freelancer unticks it
    assert re.search(r'name="delivery_in_working_days"[^>]*checked', form)
    # When a freelancer sends -61 days
    response = browser.post(
        "/my/projects/new/", editor_data(**{"addons-0-extra_delivery_days": "-61"})
    )
    html = response.content.decode()
    # Then the form comes back with the error in words and what they typed kept
    assert response.status_code == 422
    assert "Enter a number of days from -60 to 365" in html
    assert 'value="-61"' in html
    assert not Project.objects.exists()
    # And -2 is saved as an express add-on
    saved = browser.post("/my/projects/new/", editor_data(**{"addons-0-extra_delivery_days": "-2"}))
    assert saved.status_code == 302
    assert AddOn.objects.get().extra_delivery_days == -2
    # A stranger cannot open someone else's editor
    project = Project.objects.get()
    assert login(stranger).get(f"/my/projects/{project.pk}/edit/").status_code == 404
