"""The demo marketplace: what ``demo_load()`` creates, that it is idempotent, and that the
demo people's calendars behave as the README promises. No server is started here."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import AddOn, Category, GalleryImage, Project, ProjectStatus
from fairlance.catalog.selectors import project_availability
from fairlance.contracts.models import Contract
from fairlance.core.management.commands.demo import child_environment
from fairlance.core.management.commands.serve import gunicorn_argv, server_argv
from fairlance.core.workdays import is_working_day, local_date, next_working_day
from fairlance.demo.artwork import gallery_picture
from fairlance.demo.data import DEMO_PASSWORD, PEOPLE, PROJECTS
from fairlance.demo.load import demo_load
from fairlance.ledger.selectors import ledger_check
from fairlance.reviews.models import Feedback, FreelancerScore, ScorePoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Seven demo accounts with production-strength hashing would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# A Wednesday in June: 10 June is Portugal Day, a public holiday in Portugal only.
PORTUGAL_DAY = date(2026, 6, 10)


def user(key: str) -> User:
    return User.objects.get(email=f"{key}@demo.fairlance.dev")


def test_load_creates_accounts_and_a_catalog_in_every_category() -> None:
    # given an empty database
    # when the demo is loaded, pictures included
    summary = demo_load()

    # then every demo person can log in with the documented password
    assert summary.users_created == len(PEOPLE) >= 5
    for person in PEOPLE:
        account = User.objects.get(email=person.email)
        assert account.check_password(DEMO_PASSWORD)
        assert account.display_name == person.display_name
    olga = user("olga")
    assert olga.is_operator and olga.is_staff
    chloe = user("chloe")
    assert not chloe.is_operator and not chloe.is_staff

    # and the catalog is big, mostly published, and covers every seeded category
    projects = Project.objects.all()
    assert summary.projects_created == projects.count() >= 24
    published = projects.filter(status=ProjectStatus.PUBLISHED)
    assert published.count() >= 20
    assert projects.filter(status=ProjectStatus.DRAFT).exists()
    assert projects.filter(status=ProjectStatus.PAUSED).exists()
    assert set(Category.objects.values_list("slug", flat=True)) == set(
        published.values_list("category__slug", flat=True)
    )
    assert {"instant", "request"} == set(published.values_list("purchase_mode", flat=True))
    assert len(set(projects.values_list("freelancer", flat=True))) >= 3

    # and projects have the parts a buyer reads: tiers, add-ons, every question kind, FAQ
    assert all(1 <= p.tiers.count() <= 3 for p in projects)
    assert published.filter(addons__isnull=False).exists()
    assert published.filter(faq__isnull=False).exists()
    kinds = set(published.values_list("questions__kind", flat=True))
    assert {"text", "single", "file"} <= kinds

    # and published projects have generated 1200×800 gallery pictures
    assert summary.images_created == GalleryImage.objects.count() > 0
    assert not published.filter(gallery__isnull=True).exists()
    assert set(GalleryImage.objects.values_list("width", "height")) == {(1200, 800)}


def test_loading_twice_creates_nothing_the_second_time() -> None:
    # given a loaded demo
    demo_load(images=False)
    counts = (User.objects.count(), Project.objects.count(), GalleryImage.objects.count())

    # when it is loaded again
    again = demo_load(images=False)

    # then nothing new exists
    assert not again.created_anything
    assert (User.objects.count(), Project.objects.count(), GalleryImage.objects.count()) == counts


def test_demo_dashboards_show_quotes_and_offers_waiting() -> None:
    # given the demo, loaded twice
    summary = demo_load(images=False)
    assert summary.quotes_created == 2
    assert demo_load(images=False).quotes_created == 0
    # then Chloé's dashboard leads with Hiro's offer to accept or decline
    browser = Client()
    browser.force_login(user("chloe"))
    html = browser.get("/dashboard/").content.decode()
    buying = html[html.index('id="quotes-buying"') :]
    assert "A Django REST API for your MVP" in buying
    assert "$2,000 to accept or decline" in buying
    assert "Waiting for the freelancer&#x27;s answer" in buying
    # and Ana's with Chloé's request to answer
    browser.force_login(user("ana"))
    html = browser.get("/dashboard/").content.decode()
    assert "Quote request to answer" in html[html.index('id="quotes-selling"') :]


def test_demo_contracts_fill_one_project_nearly_to_capacity() -> None:
    # given the demo
    summary = demo_load(images=False)
    chloe = user("chloe")

    # then the clients bought through the real purchase path, with money in escrow
    contracts = Contract.objects.filter(client=chloe)
    assert summary.contracts_created == Contract.objects.count() == 8
    assert sorted(contracts.values_list("state", flat=True)) == [
        "completed",
        "completed",
        "in_progress",
        "in_progress",
        "requested",
    ]
    assert (
        sorted(Contract.objects.filter(client=user("sam")).values_list("state", flat=True))
        == ["completed"] * 3
    )
    assert ledger_check() == []

    # and the children's book project has one slot left: still on sale, nearly full
    book = Project.objects.get(title__startswith="Children's book")
    assert (book.active_contracts, book.capacity) == (2, 3)
    assert project_availability(project=book, now=timezone.now()).purchasable


def test_ana_and_hiro_have_published_feedback_and_a_score_shown_everywhere() -> None:
    # given the demo
    summary = demo_load(images=False)
    ana, hiro = user("ana"), user("hiro")

    # then every completed contract has feedback from both sides, published
    completed = Contract.objects.filter(state="completed")
    assert completed.count() == 5
    feedback = Feedback.objects.filter(contract__in=completed)
    assert summary.feedback_left == feedback.count() == 10
    assert not feedback.filter(published_at__isnull=True).exists()
    # and Ana and Hiro each worked with two clients: their stored scores are shown
    scores = {s.user_id: s for s in FreelancerScore.objects.filter(user__in=[ana, hiro])}
    assert {scores[ana.pk].clients, scores[hiro.pk].clients} == {2}
    assert scores[ana.pk].score is not None and scores[hiro.pk].score is not None
    assert 90 <= scores[ana.pk].score < 100  # one four-star rating among fives
    assert not scores[ana.pk].dirty and scores[ana.pk].rating_count == 3
    assert ScorePoint.objects.filter(user=ana, score=scores[ana.pk].score).exists()

    # and the score is on Ana's search cards and her project page, beside the rating
    shown = f"{scores[ana.pk].score}% success"
    kit = Project.objects.get(freelancer=ana, title__startswith="A logo and compact brand kit")
    assert (kit.rating_x100, kit.rating_count) == (500, 2)
    browser = Client()
    assert shown in browser.get("/search/", {"q": "logo brand kit"}).content.decode()
    assert shown in browser.get(f"/projects/{kit.pk}/").content.decode()
    api = browser.get(f"/api/v1/projects/{kit.pk}").json()
    assert api["freelancer_score"] == scores[ana.pk].score
    # and "top rated" puts the rated projects first
    top = browser.get("/api/v1/projects", {"sort": "rating", "limit": 3}).json()["items"]
    assert [p["rating_x100"] for p in top] == [500, 500, 400]
    # and Lena, with no finished work, shows no score
    lena_project = Project.objects.filter(freelancer=user("lena")).first()
    assert lena_project is not None
    lena_api = browser.get(f"/api/v1/projects/{lena_project.pk}").json()
    assert lena_api["freelancer_score"] is None


def test_freelancers_calendars_are_as_described() -> None:
    # given the demo
    demo_load(images=False)
    ana, hiro, lena = (user(k).calendar for k in ("ana", "hiro", "lena"))

    # then Ana works in Lisbon and skips Portuguese holidays
    assert ana.time_zone == "Europe/Lisbon"
    assert ana.holiday_country == "PT"
    assert not is_working_day(ana.as_spec(), PORTUGAL_DAY)
    # and Hiroshi is in Tokyo, Monday to Friday, working on Portugal Day
    assert hiro.time_zone == "Asia/Tokyo"
    assert sorted(hiro.working_weekdays) == [0, 1, 2, 3, 4]
    assert is_working_day(hiro.as_spec(), PORTUGAL_DAY)
    assert not is_working_day(hiro.as_spec(), date(2026, 6, 13))  # a Saturday
    # and Lena, in Berlin, works a four-day week
    assert lena.time_zone == "Europe/Berlin"
    assert sorted(lena.working_weekdays) == [0, 1, 2, 3]


def test_hiros_projects_count_japan_working_days_and_his_contract_is_due_on_one() -> None:
    # given the demo loaded on a Friday evening in Tokyo (19:00), when two calendar days
    # would end on a Sunday
    with time_machine.travel(datetime(2026, 12, 4, 10, 0, tzinfo=UTC), tick=False):
        demo_load(images=False)
    hiro = user("hiro")
    spec = hiro.calendar.as_spec()

    # then every project of his counts working days, with Japanese public holidays
    assert hiro.calendar.holiday_country == "JP"
    assert all(p.delivery_in_working_days for p in Project.objects.filter(freelancer=hiro))

    # and his running bug-fix contract is due on a Tokyo working day: 2 working days from
    # Friday 19:00 is Tuesday 19:00
    contract = Contract.objects.get(freelancer=hiro, state="in_progress")
    assert contract.title.startswith("Fix a bug")
    assert contract.delivery_due_at is not None
    due_day = local_date("Asia/Tokyo", contract.delivery_due_at)
    assert is_working_day(spec, due_day)
    assert contract.delivery_due_at == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert (
        "(Fri 4 Dec 19:00 Asia/Tokyo); the weekend skipped"
        in (contract.clock_notes["delivery_due"])
    )


def test_express_and_rush_add_ons_shorten_delivery() -> None:
    demo_load(images=False)
    shortening = {
        a.title: a.extra_delivery_days for a in AddOn.objects.filter(extra_delivery_days__lt=0)
    }
    assert shortening == {"Express delivery": -2, "Rush delivery": -1}
    # and each still leaves every tier of its project at least 1 day
    for addon in AddOn.objects.filter(extra_delivery_days__lt=0).select_related("project"):
        assert (
            min(t.delivery_days for t in addon.project.tiers.all()) + addon.extra_delivery_days >= 1
        )


def test_away_freelancer_is_back_in_ten_days_and_cannot_be_booked() -> None:
    # given the demo loaded now
    now = timezone.now()
    demo_load(images=False, now=now)
    lena = user("lena")
    today = user_local_today(user=lena, now=now)

    # then Lena is away and back in ten days
    last_day = away_until(user=lena, today=today)
    assert last_day == today + timedelta(days=9)

    # and none of her published projects can be bought, each saying when she is back
    hers = Project.objects.filter(freelancer=lena, status=ProjectStatus.PUBLISHED)
    assert hers.exists()
    for project in hers:
        availability = project_availability(project=project, now=now)
        assert not availability.purchasable
        assert availability.reason_code == "freelancer_away"
        # back on her first working day after the time off (she works Monday to Thursday)
        assert availability.back_on == next_working_day(lena.calendar.as_spec(), last_day)
        assert availability.back_on.weekday() in lena.calendar.working_weekdays

    # while the other freelancers' published projects are on sale
    others = Project.objects.filter(status=ProjectStatus.PUBLISHED).exclude(freelancer=lena)
    on_sale = [p for p in others if project_availability(project=p, now=now).purchasable]
    assert len(on_sale) >= 14


def test_an_expired_away_range_is_renewed_on_the_next_load() -> None:
    # given a demo loaded a month ago, whose away range is over
    month_ago = timezone.now() - timedelta(days=30)
    demo_load(images=False, now=month_ago)
    lena = user("lena")
    now = timezone.now()
    today = user_local_today(user=lena, now=now)
    assert away_until(user=lena, today=today) is None

    # when the demo is loaded again today
    summary = demo_load(images=False, now=now)

    # then only a new away range was added, and she is away again for ten days
    assert summary.time_off_added == 1
    assert summary.users_created == summary.projects_created == 0
    assert away_until(user=User.objects.get(pk=lena.pk), today=today) == today + timedelta(days=9)


def test_gallery_pictures_are_deterministic() -> None:
    # given the same title and seed, then the same picture; another variant differs
    title = PROJECTS[0].title
    first = gallery_picture(title=title, caption="Ana", seed=2026)
    assert first == gallery_picture(title=title, caption="Ana", seed=2026)
    assert first != gallery_picture(title=title, caption="Ana", seed=2026, variant=1)
    assert first[:3] == b"\xff\xd8\xff"  # JPEG


def test_demo_data_titles_are_unique_per_owner() -> None:
    # The loader finds existing projects by (owner, title); a repeat would be skipped.
    keys = [(p.owner, p.title) for p in PROJECTS]
    assert len(keys) == len(set(keys))
    owners = {p.key for p in PEOPLE if p.role == "freelancer"}
    assert {p.owner for p in PROJECTS} <= owners


def test_serve_runs_gunicorn_with_the_wsgi_app() -> None:
    argv = gunicorn_argv(bind="0.0.0.0:9000", workers=3)
    assert argv[1:4] == ["-m", "gunicorn", "fairlance.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "3"


def test_serve_runs_granian_by_default_one_request_per_process() -> None:
    argv = server_argv(server="granian", bind="0.0.0.0:9000", workers=3)
    assert argv[1:5] == ["-m", "granian", "--interface", "wsgi"]
    assert argv[-1] == "fairlance.wsgi:application"
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "9000"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--blocking-threads") + 1] == "1"
    assert server_argv(server="granian", bind="[::1]:8000", workers=1)[6] == "::1"


@pytest.mark.parametrize("bind", ["", "8000", "localhost:", "localhost:http"])
def test_serve_refuses_a_bind_without_host_and_port(bind: str) -> None:
    with pytest.raises(CommandError):
        server_argv(server="granian", bind=bind, workers=1)


def test_serve_refuses_an_unknown_server() -> None:
    with pytest.raises(CommandError):
        server_argv(server="uwsgi", bind="127.0.0.1:8000", workers=1)


def test_serve_refuses_zero_workers() -> None:
    with pytest.raises(CommandError):
        gunicorn_argv(bind="127.0.0.1:8000", workers=0)


def test_demo_children_serve_static_files_without_collectstatic(monkeypatch: Any) -> None:
    # given no STATIC_MANIFEST in the environment, the demo turns the manifest off
    monkeypatch.delenv("STATIC_MANIFEST", raising=False)
    assert child_environment()["STATIC_MANIFEST"] == "false"
    # but an explicit choice is respected
    monkeypatch.setenv("STATIC_MANIFEST", "true")
    assert child_environment()["STATIC_MANIFEST"] == "true"


def test_demo_emails_link_to_the_demos_own_port(monkeypatch: Any) -> None:
    monkeypatch.delenv("FAIRLANCE_SITE_URL", raising=False)
    assert child_environment(8101)["FAIRLANCE_SITE_URL"] == "http://127.0.0.1:8101"
    monkeypatch.setenv("FAIRLANCE_SITE_URL", "https://market.example.org")
    assert child_environment(8101)["FAIRLANCE_SITE_URL"] == "https://market.example.org"


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the command test drives its own SQLite file; the loader itself runs on both",
)
def test_demo_command_prepares_an_sqlite_demo_once(tmp_path: Path) -> None:
    # given an empty runtime folder and the demo command without its servers
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["FAIRLANCE_VAR_DIR"] = str(tmp_path)

    def demo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fairlance.cli", "demo", "--no-serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    # when it runs twice
    first, second = demo(), demo()

    # then the first run migrates and loads, the second finds everything in place
    assert first.returncode == 0, first.stderr
    assert "Demo data loaded: 7 accounts" in first.stdout
    assert (tmp_path / "fairlance.sqlite3").is_file()
    assert any((tmp_path / "media" / "gallery").iterdir())
    assert second.returncode == 0, second.stderr
    assert "Demo data already loaded." in second.stdout


def test_demo_command_refuses_a_production_deployment(settings: Any) -> None:
    # given a production configuration
    settings.PRODUCTION = True
    # when the demo command starts, then it stops before touching the database
    with pytest.raises(CommandError, match="PRODUCTION"):
        call_command("demo", "--no-serve")
    assert not User.objects.exists()


def test_the_demo_operator_is_a_django_admin_as_the_readme_says() -> None:
    # Given the demo marketplace
    demo_load(images=False)
    olga = user("olga")
    browser = Client()
    browser.force_login(olga)

    # When Olga opens Django's admin
    response = browser.get("/admin/")

    # Then she sees the raw data, not "You don't have permission to view or edit anything"
    html = response.content.decode()
    assert response.status_code == 200 and olga.is_superuser
    assert "/admin/contracts/contract/" in html and "/admin/ledger/" in html
    assert "permission" not in html.lower()


def test_an_older_demo_operator_becomes_a_django_admin_on_the_next_load() -> None:
    demo_load(images=False)
    User.objects.filter(email="olga@demo.fairlance.dev").update(is_superuser=False)

    demo_load(images=False)

    assert user("olga").is_superuser


def test_every_demo_account_logs_in_with_the_documented_password() -> None:
    # Given the demo marketplace (addresses must be confirmed before anyone logs in)
    demo_load(images=False)
    for person in PEOPLE:
        # When each demo person logs in on the website with the README's password
        browser = Client()
        response = browser.post(
            "/accounts/login/", {"login": person.email, "password": DEMO_PASSWORD}
        )
        # Then they are in, with no confirmation email to wait for
        assert response.status_code == 302, person.email
        assert response["Location"] == "/dashboard/"
        assert browser.get("/dashboard/").status_code == 200


def test_the_demo_operator_reaches_the_admin_through_the_site_login() -> None:
    demo_load(images=False)
    browser = Client()
    # The admin's own login form is gone: it sends people to the site's login
    redirect = browser.get("/admin/login/?next=/admin/")
    assert redirect.status_code == 302
    assert redirect["Location"].startswith("/accounts/login/")
    response = browser.post(
        "/accounts/login/?next=/admin/",
        {"login": "olga@demo.fairlance.dev", "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_an_older_demo_whose_addresses_were_never_confirmed_logs_in_after_the_next_load() -> None:
    # Given a demo loaded before addresses had to be confirmed
    from allauth.account.models import EmailAddress

    demo_load(images=False)
    EmailAddress.objects.all().delete()
    refused = Client().post(
        "/accounts/login/", {"login": "ana@demo.fairlance.dev", "password": DEMO_PASSWORD}
    )
    assert refused["Location"] == "/accounts/confirm-email/"

    # When the demo command loads it again
    demo_load(images=False)

    # Then the documented password works again
    response = Client().post(
        "/accounts/login/", {"login": "ana@demo.fairlance.dev", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == "/dashboard/"
