"""The operators' review queue and the dashboard."""

from __future__ import annotations

import pytest

from fairlance.catalog.models import ProjectStatus
from fairlance.core.models import AuditEntry
from tests.web.conftest import login, make_project, require_review_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(freelancer):
    require_review_policy()
    project = make_project(freelancer, title="Needs a review first")
    assert project.status == ProjectStatus.PENDING_REVIEW
    return project


def test_review_queue_is_for_operators_only(pending, freelancer, stranger, operator):
    assert login(None).get("/operator/review/").status_code == 302
    assert login(stranger).get("/operator/review/").status_code == 404
    assert login(freelancer).get("/operator/review/").status_code == 404
    response = login(operator).get("/operator/review/")
    assert response.status_code == 200
    assert "Needs a review first" in response.content.decode()


def test_non_operators_cannot_decide(pending, freelancer, stranger):
    for who in (freelancer, stranger):
        response = login(who).post(f"/operator/review/{pending.pk}/", {"decision": "approve"})
        assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == ProjectStatus.PENDING_REVIEW


def test_operator_approves(pending, operator):
    response = login(operator).post(f"/operator/review/{pending.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ProjectStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="project_approve", target_id=str(pending.pk)).exists()


def test_operator_rejects_with_note_and_freelancer_sees_it(pending, operator, freelancer):
    login(operator).post(
        f"/operator/review/{pending.pk}/", {"decision": "reject", "note": "Add real samples."}
    )
    pending.refresh_from_db()
    assert pending.status == ProjectStatus.DRAFT
    html = login(freelancer).get("/dashboard/").content.decode()
    assert "Changes requested by review: Add real samples." in html


def test_reject_without_note_rerenders_with_error(pending, operator):
    response = login(operator).post(f"/operator/review/{pending.pk}/", {"decision": "reject"})
    assert response.status_code == 422
    assert b"Tell the freelancer what to change" in response.content
    pending.refresh_from_db()
    assert pending.status == ProjectStatus.PENDING_REVIEW


def test_deciding_twice_shows_a_message_not_500(pending, operator):
    client = login(operator)
    client.post(f"/operator/review/{pending.pk}/", {"decision": "approve"})
    response = client.post(f"/operator/review/{pending.pk}/", {"decision": "approve"}, follow=True)
    assert response.status_code == 200
    assert b"not waiting for review" in response.content
    assert (
        login(operator).post("/operator/review/999999/", {"decision": "approve"}).status_code == 404
    )


def test_dashboard_lists_projects_needing_attention(freelancer, stranger):
    make_project(freelancer, title="Still only a draft", publish=False)
    make_project(freelancer, title="Live and well on sale")
    make_project(stranger, title="Someone else's draft", publish=False)
    html = login(freelancer).get("/dashboard/").content.decode()
    assert "These need your action" in html
    assert "Still only a draft" in html
    assert "Live and well on sale" not in html
    assert "Someone else" not in html
