"""docs/api.md cannot silently fall behind the API.

Two kinds of check: the guide's tables follow the code (the reference table lists exactly
the operations of the OpenAPI document, with "anyone" exactly where no caller is needed; the
error table names every stable code the code base raises; the transition and idempotency
lists follow the lifecycle table), and the guide's
walk-through — tokens, search, purchase, requirements, delivery, approval, balance, and the
request-mode variant — is replayed through Django's test client with the status codes and
fields the guide promises.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from fairlance.api.docs_table import (
    DOC_PATH,
    compare,
    documented_operations,
    operations,
    reference_rows,
)
from fairlance.contracts import process
from fairlance.contracts.models import Contract
from fairlance.payments.models import PaymentAttempt
from tests.conftest import PASSWORD, assert_problem

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
# A Wednesday morning: the guide's sample deadlines (grace Thu, requirements Sat) fall here.
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
GOOD_CARD = "4242 4242 4242 4242"


def doc_text() -> str:
    return DOC_PATH.read_text(encoding="utf-8")


def served_schema() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


# --- the reference table ---------------------------------------------------------------------


def test_reference_table_lists_every_operation_of_the_openapi_document() -> None:
    # Given the OpenAPI document the server actually serves
    schema = served_schema()
    assert len(operations(schema)) > 20

    # When it is compared with the guide's reference table
    result = compare(schema, doc_text())

    # Then nothing is missing, nothing is listed that the API does not serve, nothing twice
    assert result.missing == [], "add rows: python -m fairlance.api.docs_table --skeleton"
    assert result.stale == []
    assert result.duplicated == []


def test_the_comparison_notices_a_missing_and_a_stale_row() -> None:
    # Given the guide with one real row removed and one invented row added
    schema = served_schema()
    text = doc_text()
    row = next(
        line for line in text.splitlines() if line.startswith("| GET | `/api/v1/me/balance`")
    )
    invented = "| GET | `/api/v1/nothing-here` | anyone | 200 | |"
    edited = text.replace(row + "\n", invented + "\n")

    # When compared
    result = compare(schema, edited)

    # Then both differences are reported
    assert result.missing == [("GET", "/api/v1/me/balance")]
    assert result.stale == [("GET", "/api/v1/nothing-here")]
    assert not result.ok


def test_reference_rows_are_only_read_between_the_markers() -> None:
    # Given a row outside the reference table (say, in an example)
    text = "| GET | `/api/v1/outside` | x |\n" + doc_text()

    # Then it does not count as documented
    assert ("GET", "/api/v1/outside") not in documented_operations(text)


def test_who_may_call_matches_the_schema() -> None:
    # Given each row's "who" cell and the operation's security in the OpenAPI document
    secured = {op.key: op.authenticated for op in operations(served_schema())}

    # Then exactly the rows that say "anyone" are the operations that need no caller
    for method, path, who, *_ in reference_rows(doc_text()):
        key = (method, path.strip("`"))
        assert who.startswith("anyone") == (not secured[key]), (key, who)


def _section(title: str) -> str:
    return doc_text().split(title, 1)[1].split("\n#", 1)[0]


def test_transition_and_idempotency_lists_match_the_lifecycle_table() -> None:
    # Given the transitions a person fires on an existing contract (purchase and request
    # create contracts through /purchase instead)
    person = [t for t in process.BY_NAME.values() if t.by_person and "new" not in t.from_states]

    # Then the guide's transition table lists each of them once ...
    table = _section("### Other transitions")
    listed = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert sorted(listed) == sorted(t.name for t in person)

    # ... and its idempotency section names exactly those that move money (a proposal's
    # are answered through /proposals/{id}/accept, which has a row of its own)
    idempotency = _section("## Idempotency")
    row = next(line for line in idempotency.splitlines() if "{transition}" in line)
    named = set(re.findall(r"`([a-z_]+)`", row.split("|")[2]))
    assert named == {t.name for t in person if t.money and not t.subject}
    assert any("/proposals/{proposal_id}/accept" in line for line in idempotency.splitlines())


def _codes_raised_in_the_code_base() -> set[str]:
    """Stable codes set by keyword (``code="..."``, ``code = "..."``) or idempotency problems."""
    patterns = [
        re.compile(r'\bcode\s*=\s*"([a-z_]+)"'),
        re.compile(r'_problem\(\s*\d+,\s*"([a-z_]+)"'),
        # Card processor results become the 402's code.
        re.compile(r'ChargeResult\(\s*False,\s*None,\s*"([a-z_]+)"'),
        # Availability reasons become the 409's code when a purchase is refused.
        re.compile(r'Availability\(\s*False,\s*"([a-z_]+)"'),
    ]
    codes: set[str] = set()
    for path in (REPO / "fairlance").rglob("*.py"):
        if "migrations" in path.parts or path.parts[-2] == "web":
            continue
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            codes.update(pattern.findall(source))
    return codes


def test_every_stable_error_code_in_the_code_base_is_in_the_guide() -> None:
    # Given the codes the domain and API layers raise
    codes = _codes_raised_in_the_code_base()
    assert {"transition_not_available", "idempotency_key_reused", "card_declined"} <= codes

    # Then the guide's errors section names each of them
    errors_section = doc_text().split("## Errors", 1)[1].split("## Pagination", 1)[0]
    undocumented = sorted(c for c in codes if f"`{c}`" not in errors_section)
    assert undocumented == []


# --- the walk-through ------------------------------------------------------------------------


class Caller:
    """One party of the walk-through: Django's test client plus, once fetched, a token."""

    def __init__(self) -> None:
        self.client = Client()
        self.token: str | None = None

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"/api/v1/{path}", params or {}, headers=self.headers({}))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        if body is None:
            # Like `curl -X POST` with no -d: no body at all.
            return self.client.generic(
                "POST", f"/api/v1/{path}", b"", headers=self.headers(headers)
            )
        return self.client.post(
            f"/api/v1/{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(headers),
        )

    def sign_in(self, email: str) -> dict[str, Any]:
        response = self.post("auth/token", {"email": email, "password": PASSWORD})
        assert response.status_code == 201
        body: dict[str, Any] = response.json()
        self.token = body["token"]
        return body


LOGO_PROJECT = {
    "title": "Hand-drawn logo",
    "category": "design",
    "description": "I draw logos by hand.",
    "tags": ["logo"],
    "tiers": [{"name": "Basic", "price_minor": 15000, "delivery_days": 5, "revisions": 1}],
    "addons": [{"title": "Source files", "price_minor": 2500, "extra_delivery_days": 1}],
    "questions": [{"prompt": "Brand name?"}],
}


# The guide's request-mode project.
STORY_PROJECT = {
    "title": "Illustrated story page",
    "category": "design",
    "purchase_mode": "request",
    "tiers": [{"name": "One page", "price_minor": 30000, "delivery_days": 7}],
    "questions": [{"prompt": "What is the story about?"}],
}


def offer(seller: Caller, project: dict[str, Any] = LOGO_PROJECT, **changes: Any) -> dict[str, Any]:
    """Walk-through step 2: create and publish a project."""
    created = seller.post("projects", {**project, **changes})
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    assert created.json()["availability"]["reason_code"] == "not_published"
    published = seller.post(f"projects/{created.json()['id']}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    body: dict[str, Any] = published.json()
    return body


def test_walkthrough_instant_purchase(freelancer, client_user) -> None:
    with time_machine.travel(START, tick=False):
        ana, chloe = Caller(), Caller()

        # 1. Tokens
        token = ana.sign_in(freelancer.email)
        assert token["token"].startswith("flt_")
        assert token["token_type"] == "Bearer"
        chloe.sign_in(client_user.email)
        wrong = Caller().post("auth/token", {"email": client_user.email, "password": "nope"})
        assert_problem(wrong, 401, "invalid_credentials")
        assert_problem(Caller().get("me"), 401, "not_authenticated")

        # 2. The freelancer offers a project
        project_id = offer(ana)["id"]

        # 3. The client searches (no token needed)
        found = Caller().get("projects", {"q": "hand-drawn logo", "max_price": 20000})
        assert found.status_code == 200
        assert [p["id"] for p in found.json()["items"]] == [project_id]
        assert found.json()["items"][0]["from_price_minor"] == 15000
        assert found.json()["next_cursor"] is None
        assert_problem(
            Caller().get("projects", {"q": "logo", "cursor": "zzz"}), 422, "invalid_cursor"
        )

        # 4. The client reads the project
        page = Caller().get(f"projects/{project_id}")
        assert page.status_code == 200
        project = page.json()
        assert project["purchase_mode"] == "instant"
        assert project["availability"]["purchasable"] is True
        tier, addon = project["tiers"][0]["id"], project["addons"][0]["id"]
        question = project["questions"][0]["id"]

        # 5. The client buys with the sandbox card and an Idempotency-Key
        purchase = {"tier_id": tier, "addon_ids": [addon], "card_number": GOOD_CARD}
        bought = chloe.post(
            f"projects/{project_id}/purchase", purchase, **{"Idempotency-Key": "buy-logo"}
        )
        assert bought.status_code == 201
        contract = bought.json()
        contract_id = contract["id"]
        assert contract["state"] == "awaiting_requirements"
        assert contract["your_roles"] == ["client"]
        assert contract["price_minor"] == 17500
        assert contract["snapshot"]["fee_minor"] == 1750
        assert contract["money"]["client_pays"] == {"minor": 17500, "display": "$175"}
        assert contract["money"]["freelancer_receives"] == {"minor": 15750, "display": "$157.50"}
        assert contract["deadlines"] == [
            {
                "name": "requirements_window",
                "at": "2026-03-07T10:00:00+00:00",
                "local": "Sat 10:00 UTC",
                "explanation": (
                    "The client sends requirements within 3 calendar days after purchase "
                    "(Wed 4 Mar 10:00 UTC)"
                ),
            }
        ]
        assert contract["available_transitions"] == [
            "submit_requirements",
            "cancel_before_start",
            "propose",
        ]

        # ... a repeat with the same key replays; changed parameters are refused
        again = chloe.post(
            f"projects/{project_id}/purchase", purchase, **{"Idempotency-Key": "buy-logo"}
        )
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == contract
        reused = chloe.post(
            f"projects/{project_id}/purchase",
            {**purchase, "addon_ids": []},
            **{"Idempotency-Key": "buy-logo"},
        )
        assert_problem(reused, 422, "idempotency_key_reused")
        declined = chloe.post(
            f"projects/{project_id}/purchase", {**purchase, "card_number": "4000 0000 0000 0002"}
        )
        assert_problem(declined, 402, "card_declined")
        assert Contract.objects.count() == 1
        assert PaymentAttempt.objects.filter(kind="charge", ok=True).count() == 1

        # The contract and its history are readable by the parties
        assert chloe.get(f"contracts/{contract_id}").json() == contract
        listed = chloe.get("contracts").json()
        assert [c["id"] for c in listed["results"]] == [contract_id]
        assert listed["next_cursor"] is None
        events = chloe.get(f"contracts/{contract_id}/events").json()["results"]
        assert events[-1]["to_state"] == "awaiting_requirements"
        assert set(events[-1]) == {
            "seq",
            "name",
            "actor_role",
            "actor_id",
            "from_state",
            "to_state",
            "data",
            "created_at",
        }

        # 6. Delivering before the requirements is refused; the client sends them
        early = ana.post(f"contracts/{contract_id}/deliver", {"note": "Too soon"})
        body = assert_problem(early, 409, "transition_not_available")
        assert body["state"] == "awaiting_requirements"
        working = chloe.post(
            f"contracts/{contract_id}/submit_requirements",
            {"answers": {str(question): "Acme Bakery"}},
        )
        assert working.status_code == 200
        assert working.json()["state"] == "in_progress"
        clocks = {d["name"]: d for d in working.json()["deadlines"]}
        assert list(clocks) == ["grace", "delivery_due"]
        assert clocks["grace"]["at"] == "2026-03-05T10:00:00+00:00"
        # 5 days for the tier and 1 for the add-on, in working days (the default): the
        # weekend is skipped
        assert clocks["delivery_due"]["at"] == "2026-03-12T10:00:00+00:00"
        assert "the weekend skipped" in clocks["delivery_due"]["explanation"]

        # 7. The freelancer delivers (the client may not)
        assert_problem(
            chloe.post(f"contracts/{contract_id}/deliver", {"note": "x"}),
            403,
            "not_your_transition",
        )
        delivered = ana.post(
            f"contracts/{contract_id}/deliver", {"note": "Logo attached, in PDF and PNG."}
        )
        assert delivered.status_code == 200
        assert delivered.json()["state"] == "delivered"
        assert [d["note"] for d in delivered.json()["deliveries"]] == [
            "Logo attached, in PDF and PNG."
        ]
        assert [d["name"] for d in delivered.json()["deadlines"]] == ["review_window"]

        # 8. The client approves, with no body at all
        approved = chloe.post(
            f"contracts/{contract_id}/approve", **{"Idempotency-Key": "approve-logo"}
        )
        assert approved.status_code == 200
        done = approved.json()
        assert (done["state"], done["outcome"], done["ending"], done["fault"]) == (
            "completed",
            "completed",
            "approve",
            "none",
        )
        replayed = chloe.post(
            f"contracts/{contract_id}/approve", **{"Idempotency-Key": "approve-logo"}
        )
        assert replayed.status_code == 200
        assert replayed["Idempotent-Replayed"] == "true"

        # 9. The freelancer's balance: price minus the 10% fee, pending for 5 days
        balance = ana.get("me/balance")
        assert balance.status_code == 200
        assert balance.json()["currency"] == "USD"
        assert balance.json()["pending"] == 15750
        assert balance.json()["available"] == 0
        assert balance.json()["pending_display"] == "$157.50"
        [clearance] = balance.json()["upcoming_clearances"]
        assert clearance["amount"] == 15750
        assert clearance["available_at"].startswith("2026-03-09T10:00:00")
        too_much = ana.post("me/payouts", {"amount": 15750})
        assert_problem(too_much, 409, "insufficient_funds")


def test_walkthrough_request_mode(freelancer, client_user) -> None:
    with time_machine.travel(START, tick=False):
        ana, chloe = Caller(), Caller()
        ana.sign_in(freelancer.email)
        chloe.sign_in(client_user.email)
        project = offer(ana, STORY_PROJECT)
        project_id = project["id"]
        tier = project["tiers"][0]["id"]
        question = str(project["questions"][0]["id"])

        # A request without the required answers charges nothing
        bare = chloe.post(
            f"projects/{project_id}/purchase", {"tier_id": tier, "card_number": GOOD_CARD}
        )
        body = assert_problem(bare, 422, "invalid_input")
        assert {"field": f"answers.{question}", "code": "required"}.items() <= body["errors"][
            0
        ].items()
        assert PaymentAttempt.objects.count() == 0

        # The request carries the answers and waits for the freelancer
        requested = chloe.post(
            f"projects/{project_id}/purchase",
            {
                "tier_id": tier,
                "answers": {question: "A children's book about foxes"},
                "card_number": "4242424242424242",
            },
            **{"Idempotency-Key": "request-1"},
        )
        assert requested.status_code == 201
        contract_id = requested.json()["id"]
        assert requested.json()["state"] == "requested"
        assert requested.json()["available_transitions"] == ["withdraw"]
        [window] = requested.json()["deadlines"]
        assert window["name"] == "request_window"
        assert "2 working days" in window["explanation"]

        # The freelancer accepts: work starts, with no grace window
        accepted = ana.post(f"contracts/{contract_id}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["state"] == "in_progress"
        assert [d["name"] for d in accepted.json()["deadlines"]] == ["delivery_due"]

        # A second request, declined: cancelled, nobody's fault, nothing ever charged
        second = chloe.post(
            f"projects/{project_id}/purchase",
            {"tier_id": tier, "answers": {question: "Foxes again"}, "card_number": GOOD_CARD},
        ).json()["id"]
        declined = ana.post(f"contracts/{second}/decline")
        assert declined.status_code == 200
        assert declined.json()["state"] == "cancelled"
        assert declined.json()["fault"] == "none"
        assert declined.json()["money"]["refunded"]["minor"] == 0
        # (the hold's release reaches the processor after the commit)
        assert sorted(PaymentAttempt.objects.values_list("kind", flat=True)) == [
            "authorize",
            "authorize",
            "capture",
        ]


def test_transition_names_may_use_dashes(freelancer, client_user) -> None:
    with time_machine.travel(START, tick=False):
        ana, chloe = Caller(), Caller()
        ana.sign_in(freelancer.email)
        chloe.sign_in(client_user.email)
        project = offer(ana, questions=[])
        bought = chloe.post(
            f"projects/{project['id']}/purchase",
            {"tier_id": project["tiers"][0]["id"], "card_number": GOOD_CARD},
        ).json()
        assert bought["state"] == "in_progress"  # no questions: work starts at once
        ana.post(f"contracts/{bought['id']}/deliver", {"note": "Done"})

        revised = chloe.post(f"contracts/{bought['id']}/request-revision", {"note": "Bluer"})

        assert revised.status_code == 200
        assert revised.json()["state"] == "in_progress"
        assert revised.json()["revisions_left"] == 0
        assert_problem(chloe.post(f"contracts/{bought['id']}/teleport"), 404, "unknown_transition")


def test_session_calls_need_the_csrf_token(client_user) -> None:
    # Given a browser session (no bearer token)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)

    # Then reads work, and a write without X-CSRFToken is refused and changes nothing
    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.patch(
        "/api/v1/me", json.dumps({"headline": "Hacked"}), content_type="application/json"
    )
    assert_problem(refused, 403, "permission_denied")
    client_user.refresh_from_db()
    assert client_user.headline == ""
