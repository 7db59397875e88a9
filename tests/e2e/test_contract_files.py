"""Files in a real browser: a brief and an SVG delivery, a refused file that loses nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairlance.catalog.inputs import QuestionInput
from fairlance.contracts.models import Contract
from fairlance.contracts.services import contract_purchase
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>'
)


def test_brief_and_svg_delivery_at_phone_width(page: Any, browser: Any, live_server: Any) -> None:
    # Given a contract for a logo project that asks for the client's brief as a file
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    carla = make_user("carla@example.com", country="US")
    project = make_project(
        fran,
        title="Final logo in SVG",
        questions=(QuestionInput(prompt="Your brief", kind="file"),),
    )
    contract = contract_purchase(
        client=carla,
        project_id=project.pk,
        tier_id=project.tiers.get(name="Basic").pk,
        card_number=CARD_SUCCESS,
    ).contract
    client = page
    log_in(client, live_server.url, "carla@example.com", PASSWORD)

    # When the client sends the brief as a file
    client.goto(f"{live_server.url}/contracts/{contract.pk}/requirements/")
    client.get_by_label("Your brief").set_input_files(
        files=[{"name": "brief.pdf", "mimeType": "application/pdf", "buffer": b"%PDF brief"}]
    )
    client.get_by_role("button", name="Send requirements and start").click()
    client.get_by_text("Requirements sent. Work has started.").wait_for()

    # Then the freelancer, on a phone, sees the brief and delivers
    context = browser.new_context(viewport={"width": 360, "height": 800})
    freelancer = context.new_page()
    freelancer.set_default_timeout(15_000)
    log_in(freelancer, live_server.url, "fran@example.com", PASSWORD)
    freelancer.goto(f"{live_server.url}/contracts/{contract.pk}/")
    assert freelancer.get_by_role("link", name="brief.pdf").count() == 1
    freelancer.get_by_label("Note to the client").fill("The final logo, as promised.")
    freelancer.get_by_label("Attachments").set_input_files(
        files=[
            {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG},
            {"name": "run.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
        ]
    )
    freelancer.get_by_role("button", name="Deliver", exact=True).click()

    # The .exe is refused; the note and the SVG are still there
    freelancer.get_by_text("run.exe: files of type .exe are not accepted").first.wait_for()
    assert freelancer.get_by_label("Note to the client").input_value() == (
        "The final logo, as promised."
    )
    assert freelancer.get_by_label("Attached: logo.svg").is_checked()
    assert freelancer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(freelancer)
    shot(freelancer, "contract_room_delivery_refused_file")
    freelancer.get_by_role("button", name="Deliver", exact=True).click()
    freelancer.get_by_text("Delivered. The client has been told.").wait_for()
    context.close()
    assert Contract.objects.get().state == "delivered"

    # And the client downloads the SVG: a file to save, never a page that runs
    client.goto(f"{live_server.url}/contracts/{contract.pk}/")
    with client.expect_download() as download:
        client.get_by_role("link", name="logo.svg").click()
    assert download.value.suggested_filename == "logo.svg"
    assert Path(download.value.path()).read_bytes() == SVG
    assert client.url.endswith(f"/contracts/{contract.pk}/")
