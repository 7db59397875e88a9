"""The seeder writes rows the real code accepts, and the benchmark counts answers right.

The end-to-end ``fairlance bench --quick`` smoke run (gunicorn + wrk) is a step of
``./run test``, not a pytest test: it starts its own server against its own database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from fairlance.accounts.models import User
from fairlance.bench.scenarios import SCENARIOS, add_ratios, markdown_table, result_from_wrk
from fairlance.bench.seed import SEED_PASSWORD, SeedConfig, seed_marketplace
from fairlance.bench.views import baseline, baseline_db
from fairlance.catalog.models import Project
from fairlance.catalog.search import SearchParams, search_projects
from fairlance.contracts.models import Contract
from fairlance.ledger.selectors import ledger_check
from fairlance.reviews.models import Feedback, FreelancerScore, ScorePoint
from fairlance.reviews.services import score_refresh

TINY = SeedConfig(projects=30, freelancers=6, clients=10, contracts=80, batch=7)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.mark.django_db
def test_seed_writes_a_consistent_marketplace() -> None:
    # Given an empty database, when the marketplace is seeded in small batches
    report = seed_marketplace(config=TINY, out=lambda line: None)

    # Then the counts are as asked and the ledger reconciles
    assert report.rows["Project"] == 30
    assert report.rows["Contract"] == 80
    assert report.rows["indexed"] == 30
    assert report.ledger_problems == []
    assert ledger_check() == []
    # and every project's capacity counter equals its running contracts
    for project in Project.objects.all():
        running = Contract.objects.filter(project=project, state="in_progress").count()
        assert project.active_contracts == running
        assert running <= project.capacity
    assert Contract.objects.filter(state="completed").exists()
    assert Contract.objects.filter(state="in_progress").exists()


@pytest.mark.django_db
def test_seeded_rows_work_with_the_real_pages_search_and_login() -> None:
    # Given a seeded marketplace
    seed_marketplace(config=TINY, out=lambda line: None)
    project = Project.objects.filter(freelancer__is_suspended=False).order_by("id").first()
    assert project is not None
    contract = Contract.objects.order_by("id").first()
    assert contract is not None

    # When search looks for a word of a title, then that project is found
    word = project.title.split()[-1]
    found = search_projects(SearchParams(q=word, limit=100))
    assert project.pk in [p.pk for p in found.results]

    # And the project page, its API and the client's contract page all answer 200
    assert Client().get(f"/projects/{project.pk}/").status_code == 200
    assert Client().get(f"/api/v1/projects/{project.pk}").status_code == 200
    browser = Client()
    client_user = User.objects.get(pk=contract.client_id)
    assert browser.login(email=client_user.email, password=SEED_PASSWORD)
    assert browser.get(f"/contracts/{contract.pk}/").status_code == 200


@pytest.mark.django_db
def test_seeded_feedback_scores_and_ratings_are_what_the_trust_services_would_store() -> None:
    # Given a seeded marketplace
    seed_marketplace(config=TINY, out=lambda line: None)
    # Then completed contracts have published feedback from both sides, none unpublished
    published = Feedback.objects.filter(published_at__isnull=False)
    assert published.filter(author_role="client").exists()
    assert published.filter(author_role="freelancer").exists()
    assert not Feedback.objects.filter(published_at__isnull=True).exists()
    assert not Feedback.objects.exclude(contract__state="completed").exists()
    # And every freelancer with an ended contract has a stored score, some of them shown
    ended = set(
        Contract.objects.filter(ended_at__isnull=False).values_list("freelancer_id", flat=True)
    )
    stored = {s.user_id: s for s in FreelancerScore.objects.all()}
    assert set(stored) == ended
    assert any(s.score is not None for s in stored.values())
    assert ScorePoint.objects.filter(user_id__in=ended).exists()
    ratings_before = dict(Project.objects.values_list("id", "rating_x100"))
    assert any(ratings_before.values())
    # And recomputing each through the trust services at the same instant changes nothing
    fields = ("score", "clients", "counted", "rating_x100", "rating_count", "jobs", "valid_until")
    for user_id, seeded in stored.items():
        assert seeded.computed_at is not None and not seeded.dirty
        fresh = score_refresh(freelancer_id=user_id, now=seeded.computed_at)
        assert [getattr(fresh, f) for f in fields] == [getattr(seeded, f) for f in fields]
    assert dict(Project.objects.values_list("id", "rating_x100")) == ratings_before
    # And search cards carry the shown scores
    shown = {uid: s.score for uid, s in stored.items() if s.score is not None}
    page = search_projects(SearchParams(limit=100))
    assert any(r.freelancer_score is not None for r in page.results)
    for result in page.results:
        assert result.freelancer_score == shown.get(result.freelancer.id)


@pytest.mark.django_db
def test_seeding_twice_is_refused_and_writes_nothing() -> None:
    # Given a seeded database
    seed_marketplace(config=TINY, out=lambda line: None)
    before = Project.objects.count()

    # When seeding again, then it refuses and the data is unchanged
    with pytest.raises(ValueError, match="already holds seeded data"):
        seed_marketplace(config=TINY, out=lambda line: None)
    assert Project.objects.count() == before


@pytest.mark.django_db
def test_baseline_views(freelancer: User) -> None:
    from tests.catalog.factories import make_published

    # Given one project
    project = make_published(freelancer)
    factory = RequestFactory()

    # When the baselines are requested, then they answer without doing anything else
    assert baseline(factory.get("/bench/baseline")).content == b"ok"
    found = baseline_db(factory.get("/bench/baseline-db", {"id": str(project.pk)}))
    assert found.status_code == 200
    assert b'"title"' in found.content
    assert baseline_db(factory.get("/bench/baseline-db", {"id": "x1"})).status_code == 400
    assert baseline_db(factory.get("/bench/baseline-db", {"id": "999999"})).status_code == 404


def test_baseline_views_are_not_routed_by_default() -> None:
    # Given the default settings (FAIRLANCE_BENCH_VIEWS off), then /bench/ is not routed
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/baseline")


def test_expected_conflicts_are_counted_apart_from_errors() -> None:
    # Given wrk summaries for the baselines and a purchase run with 409s and one 500
    by_name = {s.name: s for s in SCENARIOS}

    def summary(requests: int, statuses: dict[str, int], codes: dict[str, int]) -> dict[str, Any]:
        return {
            "requests": requests, "duration_us": 2_000_000, "p50_us": 5000, "p95_us": 20000,
            "p99_us": 90000, "max_us": 100000, "socket_errors": 0, "statuses": statuses,
            "codes": codes,
        }  # fmt: skip

    results = [
        result_from_wrk(by_name["baseline"], summary(2000, {"200": 2000}, {})),
        result_from_wrk(by_name["baseline_db"], summary(1000, {"200": 1000}, {})),
        result_from_wrk(
            by_name["purchase"],
            summary(
                300,
                {"201": 280, "409": 19, "500": 1},
                {"capacity_full": 15, "idempotency_in_progress": 4},
            ),
        ),
    ]

    # When ratios and targets are computed
    add_ratios(results)
    purchase = results[2]

    # Then the 409s are expected answers, the 500 is an error, and the ratios are relative
    assert purchase.expected == 19
    assert purchase.errors == 1
    assert purchase.rps == 150.0
    assert purchase.ratio_db == 0.3
    assert purchase.ratio_baseline == 0.15
    assert purchase.targets_missed == ["1 errors"]
    assert "| purchase | 150 |" in markdown_table(results)


@pytest.mark.django_db
def test_bench_fixtures_log_buyers_and_viewers_in(tmp_path: Any) -> None:
    from fairlance.bench import runner
    from fairlance.bench.runner import BenchOptions, prepare_fixtures

    # Given a seeded marketplace
    seed_marketplace(config=TINY, out=lambda line: None)

    # When the benchmark prepares its fixtures
    data_path, counts = prepare_fixtures(BenchOptions(buyers=3, viewers=2), tmp_path)

    # Then the Lua data file holds working bearer tokens and session cookies
    text = data_path.read_text()
    assert text.startswith("return {")
    assert counts["buyers"] == 3
    assert counts["viewers"] == 2
    token = text.split('buyer_tokens = {"', 1)[1].split('"', 1)[0]
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    session = text.split('session = "', 1)[1].split('"', 1)[0]
    contract_id = text.split("contracts = {", 1)[1].split(",", 1)[0].split("}", 1)[0]
    browser = Client()
    browser.cookies["sessionid"] = session
    assert browser.get(f"/contracts/{contract_id}/").status_code == 200
    # and every purchasable offer names a tier of its project
    offers = text.split("offers = {", 1)[1]
    first_project, first_tier = offers.strip("{ ").split("}", 1)[0].split(", ")
    assert Project.objects.get(pk=int(first_project)).tiers.filter(pk=int(first_tier)).exists()
    # and a second run gets another run id for its Idempotency-Keys, so replaying the same
    # seed against the same database does not reuse the first run's charge references
    (tmp_path / "again").mkdir()
    again, _counts = prepare_fixtures(BenchOptions(buyers=3, viewers=2), tmp_path / "again")
    run_id = text.split('run_id = "', 1)[1].split('"', 1)[0]
    assert run_id
    assert again.read_text().split('run_id = "', 1)[1].split('"', 1)[0] != run_id
    purchase_lua = Path(runner.__file__).parent / "wrk" / "purchase.lua"
    assert "data.run_id" in purchase_lua.read_text()
