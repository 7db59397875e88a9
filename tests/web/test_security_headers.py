"""Content-Security-Policy and Permissions-Policy on every kind of response (issue 11, item 20).

The attack they answer: any HTML injection that slipped past escaping (a template bug, a
library's page) could run script with the visitor's session, load a script from another
site, post a form elsewhere or frame the site. Before, no response carried a policy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fairlance.accounts.models import User
from fairlance.catalog.inputs import QuestionInput
from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.services import contract_purchase
from fairlance.payments.provider import CARD_SUCCESS
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "fairlance" / "web" / "templates"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(response: Any) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def assert_policies(response: Any) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert all(s == "'self'" or s.startswith("'nonce-") for s in policy["script-src"]), policy
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in DENIED_FEATURES:
        assert features[feature] == "()", features


def test_pages_api_and_static_files_carry_both_policies(freelancer: User) -> None:
    project = make_project(freelancer)
    anonymous = Client()
    for path in (
        "/",
        "/search/?q=logo",
        f"/projects/{project.pk}/",
        "/accounts/login/",
        "/api/v1/docs",
        "/api/v1/projects",
        "/static/fairlance/app.css",
    ):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert_policies(response)
    # The admin's login sends people to the site's (one login, one throttle): the
    # redirect carries the policies too
    response = anonymous.get("/admin/login/")
    assert response.status_code == 302
    assert_policies(response)


def test_error_pages_and_problem_documents_carry_both_policies(
    api: Any, client_user: User, monkeypatch: Any
) -> None:
    # 404 page and 404 problem
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_policies(response)
    response = api().get("no-such-endpoint")
    assert response.status_code == 404
    assert_policies(response)

    # 500 page: a view that breaks, rendered by Django's handler500
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("fairlance.web.views.public.render", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert_policies(response)

    # 500 problem document
    monkeypatch.setattr("fairlance.api.accounts._me_out", broken)
    c = api(client_user)
    c.client.raise_request_exception = False
    response = c.get("me")
    assert response.status_code == 500
    assert_policies(response)


def _script_tags(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


def assert_inline_scripts_have_the_nonce(response: Any) -> str:
    """Every script without ``src`` (and not a JSON data block) carries the header's nonce."""
    html = response.content.decode()
    sources = directives(response)["script-src"]
    nonces = [s.removeprefix("'nonce-").rstrip("'") for s in sources if s.startswith("'nonce-")]
    inline = [
        tag
        for tag in _script_tags(html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline, "expected an inline script on this page"
    assert len(nonces) == 1, nonces
    for tag in inline:
        assert f'nonce="{nonces[0]}"' in tag, tag
    return nonces[0]


def test_the_checkout_and_room_scripts_carry_a_fresh_nonce_each_time(
    freelancer: User, client_user: User
) -> None:
    # given a project and a contract in progress
    project = make_project(freelancer, questions=(QuestionInput(prompt="Brand name?"),))
    contract = contract_purchase(
        client=client_user,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        card_number=CARD_SUCCESS,
    ).contract
    question = project.questions.get()
    apply_transition(
        contract_id=contract.pk,
        name="submit_requirements",
        actor=Actor("person", client_user),
        payload={"answers": {str(question.pk): "Acme"}},
    )
    client = login(client_user)

    # when the checkout and the room are shown twice
    seen = []
    for path in (f"/projects/{project.pk}/checkout/", f"/contracts/{contract.pk}/") * 2:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_policies(response)
        # then their inline script runs under the policy: it carries the header's nonce
        seen.append(assert_inline_scripts_have_the_nonce(response))
    # and no nonce is ever reused
    assert len(set(seen)) == len(seen)


def test_pages_without_inline_script_send_no_nonce(freelancer: User) -> None:
    # A nonce in the header of a page that uses none would only widen the policy.
    response = Client().get(f"/projects/{make_project(freelancer).pk}/")
    assert directives(response)["script-src"] == ["'self'"]


def test_templates_have_no_inline_style_and_no_unnonced_script() -> None:
    # style-src 'self' refuses style="" attributes and <style> blocks: they would be
    # silently dropped by the browser, so none may be written.
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"<style\b[^>]*>", text), template
        for tag in _script_tags(text):
            assert "src=" in tag or "nonce=" in tag, (template, tag)


def test_htmx_injects_no_style_and_evaluates_nothing() -> None:
    html = Client().get("/search/").content.decode()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, '
        '"allowEval": false}\'>' in html
    )


def test_file_downloads_keep_their_own_sandbox_policy(freelancer: User, client_user: User) -> None:
    # given a delivered file
    project = make_project(freelancer, questions=())
    contract = contract_purchase(
        client=client_user,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        card_number=CARD_SUCCESS,
    ).contract
    response = login(freelancer).post(
        f"/contracts/{contract.pk}/deliver/",
        {"note": "Done", "files": [SimpleUploadedFile("logo.svg", b"<svg/>")]},
    )
    assert response.status_code == 302
    room = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()
    (link,) = re.findall(rf'href="(/contracts/{contract.pk}/files/[^"]+/)"', room)

    # when it is downloaded
    download = login(client_user).get(link)

    # then the site's policy did not replace the download's stricter one
    assert download.status_code == 200
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "camera=()" in download["Permissions-Policy"]
