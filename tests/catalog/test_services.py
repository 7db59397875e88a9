from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from fairlance.accounts.services import time_off_add
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput
from fairlance.catalog.models import AddOn, Project, ProjectStatus, Tier
from fairlance.catalog.selectors import (
    access_project_for_owner,
    project_availability,
    project_detail_for_viewer,
    projects_of_owner,
)
from fairlance.catalog.services import (
    project_archive,
    project_pause,
    project_publish,
    project_resume,
    project_review_decide,
    project_update,
)
from fairlance.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from fairlance.core.models import AuditEntry, PolicyVersion
from fairlance.core.money import MAX_PRICE_MINOR
from fairlance.core.policy import DEFAULT_POLICY
from tests.catalog.factories import make_project, make_published, tier


def require_review() -> None:
    values = {**DEFAULT_POLICY.values(), "publish_requires_review": True}
    PolicyVersion.objects.create(version=2, values=values)


def error_fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- create ---------------------------------------------------------------------------------


def test_create_makes_a_draft_with_derived_fields(freelancer):
    # when a freelancer creates a project
    project = make_project(freelancer, tags=["Logo", " logo ", "Brand  Identity"])
    # then it is a draft whose browse columns follow the tiers
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT
    assert project.from_price_minor == 5_000
    assert project.min_delivery_days == 3
    assert project.description_html == "<p>I draw <strong>logos</strong> by hand.</p>"
    assert project.tags == ["logo", "brand identity"]
    assert project.capacity == 20
    assert project.published_at is None
    assert [t.name for t in project.tiers.all()] == ["Basic", "Standard"]
    assert project.tiers.get(name="Basic").deliverables == ["1 concept"]
    assert project.questions.get(kind="single").choices == ["Flat", "Vintage"]


def test_default_capacity_follows_the_policy_in_force(freelancer):
    PolicyVersion.objects.create(
        version=2, values={**DEFAULT_POLICY.values(), "default_capacity": 7}
    )
    assert make_project(freelancer).capacity == 7


def test_unicode_title_is_kept(freelancer):
    project = make_project(freelancer, title="Ilustração de logótipo 🎨 — 手描きロゴ")
    project.refresh_from_db()
    assert project.title == "Ilustração de logótipo 🎨 — 手描きロゴ"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "short"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "A fine title\x00with NUL"}, "title"),
        ({"description": "d" * 20_001}, "description"),
        ({"category_slug": "no-such-category"}, "category"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ["t" * 31]}, "tags.0"),
        ({"tags": [""]}, "tags.0"),
        ({"purchase_mode": "auction"}, "purchase_mode"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 101}, "capacity"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [tier(f"T{i}") for i in range(4)]}, "tiers"),
        ({"tiers": [tier("Same"), tier("same")]}, "tiers.1.name"),
        ({"tiers": [tier(price_minor=99)]}, "tiers.0.price_minor"),
        ({"tiers": [tier(price_minor=MAX_PRICE_MINOR + 1)]}, "tiers.0.price_minor"),
        ({"tiers": [tier(price_minor=-500)]}, "tiers.0.price_minor"),
        ({"tiers": [tier(price_minor=True)]}, "tiers.0.price_minor"),
        ({"tiers": [tier(price_minor=12.5)]}, "tiers.0.price_minor"),
        ({"tiers": [tier(delivery_days=0)]}, "tiers.0.delivery_days"),
        ({"tiers": [tier(delivery_days=366)]}, "tiers.0.delivery_days"),
        ({"tiers": [tier(revisions=21)]}, "tiers.0.revisions"),
        ({"tiers": [tier(deliverables=tuple(str(i) for i in range(11)))]}, "tiers.0.deliverables"),
        ({"addons": [AddOnInput(title=f"a{i}", price_minor=500) for i in range(11)]}, "addons"),
        ({"addons": [AddOnInput(title="a", price_minor=0)]}, "addons.0.price_minor"),
        ({"questions": [QuestionInput(prompt=f"q{i}") for i in range(16)]}, "questions"),
        ({"questions": [QuestionInput(prompt="Pick", kind="single")]}, "questions.0.choices"),
        (
            {"questions": [QuestionInput(prompt="Pick", kind="multiple", choices=("one",))]},
            "questions.0.choices",
        ),
        (
            {
                "questions": [
                    QuestionInput(
                        prompt="Pick", kind="single", choices=tuple("abcdefghijklmnopqrstu")
                    )
                ]
            },
            "questions.0.choices",
        ),
        ({"questions": [QuestionInput(prompt="Q", choices=("a", "b"))]}, "questions.0.choices"),
        ({"questions": [QuestionInput(prompt="Q", kind="essay")]}, "questions.0.kind"),
        ({"faq": [FaqInput(question=f"q{i}", answer="a") for i in range(16)]}, "faq"),
        ({"faq": [FaqInput(question="q", answer="")]}, "faq.0.answer"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_written(freelancer, overrides, field):
    # given no projects yet
    # when creating with one bad field
    with pytest.raises(InvalidInput) as exc:
        make_project(freelancer, **overrides)
    # then the error names that field and nothing was stored
    assert field in error_fields(exc)
    assert Project.objects.count() == 0
    assert Tier.objects.count() == 0


def test_all_errors_are_reported_at_once(freelancer):
    with pytest.raises(InvalidInput) as exc:
        make_project(freelancer, title="tiny", tiers=[tier(price_minor=1, delivery_days=0)])
    assert {"title", "tiers.0.price_minor", "tiers.0.delivery_days"} <= error_fields(exc)


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_lists_keeps_tier_ids_and_resyncs(freelancer):
    # given a project with two tiers
    project = make_project(freelancer)
    first_tier_id = project.tiers.get(position=0).pk
    before = Project.objects.get(pk=project.pk).updated_at
    # when the owner later sends one cheaper tier, a new description and no add-ons
    with time_machine.travel(before + timedelta(minutes=5)):
        updated = project_update(
            project=project,
            actor=freelancer,
            tiers=[tier("Only", 2_500, 9)],
            description="Now with <b>bold</b> claims",
            addons=[],
        )
    # then the list is replaced, the first tier row is reused, and derived fields follow
    assert [(t.pk, t.name) for t in updated.tiers.all()] == [(first_tier_id, "Only")]
    assert AddOn.objects.filter(project=project).count() == 0
    assert updated.from_price_minor == 2_500
    assert updated.min_delivery_days == 9
    assert "<b>" not in updated.description_html
    assert updated.updated_at > before
    # and fields not sent are unchanged
    assert updated.title == project.title
    assert updated.questions.count() == 2


def test_update_by_someone_else_is_not_found(freelancer, stranger):
    project = make_project(freelancer)
    with pytest.raises(NotFound):
        project_update(project=project, actor=stranger, title="A title that is long enough")
    assert Project.objects.get(pk=project.pk).title == project.title


def test_update_with_null_or_bad_values_changes_nothing(freelancer):
    project = make_project(freelancer)
    with pytest.raises(InvalidInput) as exc:
        project_update(project=project, actor=freelancer, title=None, capacity=500)
    assert {"title", "capacity"} <= error_fields(exc)
    assert Project.objects.get(pk=project.pk).capacity == 20


def test_archived_project_cannot_be_edited(freelancer):
    project = make_project(freelancer)
    project_archive(project=project, actor=freelancer)
    with pytest.raises(Conflict):
        project_update(project=project, actor=freelancer, title="A different fine title")


# --- status -----------------------------------------------------------------------------------


def test_publish_without_review_publishes_now(freelancer):
    project = make_project(freelancer)
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)):
        published = project_publish(project=project, actor=freelancer)
    assert published.status == ProjectStatus.PUBLISHED
    assert published.published_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_publish_by_a_suspended_freelancer_is_refused(freelancer):
    project = make_project(freelancer)
    freelancer.is_suspended = True
    freelancer.save()
    with pytest.raises(PermissionDenied):
        project_publish(project=project, actor=freelancer)
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.DRAFT


def test_pause_resume_archive_cycle(freelancer):
    project = make_published(freelancer)
    assert project_pause(project=project, actor=freelancer).status == ProjectStatus.PAUSED
    # pausing twice is harmless
    assert project_pause(project=project, actor=freelancer).status == ProjectStatus.PAUSED
    assert project_resume(project=project, actor=freelancer).status == ProjectStatus.PUBLISHED
    assert project_archive(project=project, actor=freelancer).status == ProjectStatus.ARCHIVED
    with pytest.raises(Conflict):
        project_resume(project=project, actor=freelancer)
    with pytest.raises(Conflict):
        project_publish(project=project, actor=freelancer)


def test_a_draft_cannot_be_paused(freelancer):
    project = make_project(freelancer)
    with pytest.raises(Conflict):
        project_pause(project=project, actor=freelancer)


def test_status_changes_by_a_stranger_are_not_found(freelancer, stranger):
    project = make_published(freelancer)
    for action in (project_pause, project_archive, project_publish, project_resume):
        with pytest.raises(NotFound):
            action(project=project, actor=stranger)
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.PUBLISHED


# --- review -----------------------------------------------------------------------------------


def test_review_policy_sends_publish_to_the_queue_and_operator_approves(freelancer, operator):
    # given the policy requires review
    require_review()
    project = make_project(freelancer)
    # when the freelancer publishes
    pending = project_publish(project=project, actor=freelancer)
    # then it waits for review and is not public
    assert pending.status == ProjectStatus.PENDING_REVIEW
    assert pending.published_at is None
    # when an operator approves
    approved = project_review_decide(project=project, operator=operator, approve=True)
    # then it is published and the decision is audited
    assert approved.status == ProjectStatus.PUBLISHED
    assert approved.published_at is not None
    entry = AuditEntry.objects.get(action="project_approve")
    assert entry.actor == operator
    assert entry.target_id == str(project.pk)


def test_rejection_needs_a_note_and_returns_a_draft(freelancer, operator):
    require_review()
    project = make_project(freelancer)
    project_publish(project=project, actor=freelancer)
    with pytest.raises(InvalidInput):
        project_review_decide(project=project, operator=operator, approve=False, note="  ")
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.PENDING_REVIEW
    rejected = project_review_decide(
        project=project, operator=operator, approve=False, note="Please add real samples."
    )
    assert rejected.status == ProjectStatus.DRAFT
    assert rejected.review_note == "Please add real samples."
    assert AuditEntry.objects.filter(
        action="project_reject", note="Please add real samples."
    ).exists()


def test_only_operators_review_and_only_pending_projects(freelancer, stranger, operator):
    require_review()
    project = make_project(freelancer)
    with pytest.raises(Conflict):
        project_review_decide(project=project, operator=operator, approve=True)
    project_publish(project=project, actor=freelancer)
    with pytest.raises(PermissionDenied):
        project_review_decide(project=project, operator=stranger, approve=True)
    assert AuditEntry.objects.count() == 0


# --- selectors --------------------------------------------------------------------------------


def test_detail_visibility(freelancer, stranger, operator):
    draft = make_project(freelancer)
    public = make_published(freelancer, title="Another project for sale")
    anonymous = None
    assert project_detail_for_viewer(viewer=anonymous, project_id=public.pk) == public
    assert project_detail_for_viewer(viewer=freelancer, project_id=draft.pk) == draft
    assert project_detail_for_viewer(viewer=operator, project_id=draft.pk) == draft
    with pytest.raises(NotFound):
        project_detail_for_viewer(viewer=stranger, project_id=draft.pk)
    with pytest.raises(NotFound):
        project_detail_for_viewer(viewer=stranger, project_id=10**9)
    # a suspended freelancer's published project disappears for the public only
    freelancer.is_suspended = True
    freelancer.save()
    with pytest.raises(NotFound):
        project_detail_for_viewer(viewer=stranger, project_id=public.pk)
    assert project_detail_for_viewer(viewer=operator, project_id=public.pk) == public


def test_owner_access_and_listing(freelancer, stranger):
    project = make_project(freelancer)
    assert access_project_for_owner(user=freelancer, project_id=project.pk) == project
    with pytest.raises(NotFound):
        access_project_for_owner(user=stranger, project_id=project.pk)
    assert list(projects_of_owner(user=freelancer)) == [project]
    assert list(projects_of_owner(user=stranger)) == []


NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def test_available_when_published(freelancer):
    availability = project_availability(project=make_published(freelancer), now=NOW)
    assert availability.purchasable
    assert availability.reason_code is None


def test_not_available_when_paused(freelancer):
    project = make_published(freelancer)
    project = project_pause(project=project, actor=freelancer)
    availability = project_availability(project=project, now=NOW)
    assert not availability.purchasable
    assert availability.reason_code == "not_published"


def test_away_freelancer_shows_back_on_date(freelancer):
    # given an away range covering today, chained to a second one
    project = make_published(freelancer)
    time_off_add(user=freelancer, start_date=date(2026, 6, 8), end_date=date(2026, 6, 12))
    time_off_add(user=freelancer, start_date=date(2026, 6, 13), end_date=date(2026, 6, 14))
    # when availability is checked today
    project = project_detail_for_viewer(viewer=None, project_id=project.pk)
    availability = project_availability(project=project, now=NOW)
    # then the freelancer is away until the end of the merged range
    assert not availability.purchasable
    assert availability.reason_code == "freelancer_away"
    assert availability.back_on == date(2026, 6, 15)
    assert "15 June 2026" in availability.message


def test_time_off_that_is_not_away_keeps_projects_on_sale(freelancer):
    project = make_published(freelancer)
    time_off_add(
        user=freelancer, start_date=date(2026, 6, 8), end_date=date(2026, 6, 12), away=False
    )
    assert project_availability(project=project, now=NOW).purchasable


def test_full_capacity_is_not_purchasable(freelancer):
    project = make_published(freelancer, capacity=1)
    # active_contracts is owned by the contracts app; simulate one running contract.
    Project.objects.filter(pk=project.pk).update(active_contracts=1)
    project.refresh_from_db()
    availability = project_availability(project=project, now=NOW)
    assert availability.reason_code == "capacity_full"


def test_suspended_freelancer_is_not_purchasable(freelancer):
    project = make_published(freelancer)
    freelancer.is_suspended = True
    freelancer.save()
    project.refresh_from_db()
    assert project_availability(project=project, now=NOW).reason_code == "freelancer_suspended"
