# The demo copy is written for people: en dashes in ranges and multiplication signs in
# counts are intended typography, not look-alike characters smuggled into code.
# ruff: noqa: RUF001
"""The demo marketplace's content: people, their calendars and their catalog projects.

Everything here is plain data so it can be read (and edited) without knowing the loader.
Prices are whole currency units converted to minor units with ``major()`` so the figures
read like a price list; the loader never sees anything but integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.core.money import MINOR_PER_MAJOR

# One password for every demo account; documented in the README. Never use it elsewhere.
DEMO_PASSWORD = "demo-pass-2026"
DEMO_EMAIL_DOMAIN = "demo.fairlance.dev"
# Seeds the gallery colours so every demo install looks the same.
DEMO_RANDOM_SEED = 2026
# The sandbox payment provider's card that always succeeds.
DEMO_CARD = "4242424242424242"

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MON_FRI = (MON, TUE, WED, THU, FRI)

Role = Literal["freelancer", "client", "operator"]
Status = Literal["published", "draft", "paused"]


def major(amount: int) -> int:
    """Whole currency units to minor units (``major(180)`` is $180.00)."""
    return amount * MINOR_PER_MAJOR


@dataclass(frozen=True)
class DemoCalendar:
    time_zone: str
    working_weekdays: tuple[int, ...] = MON_FRI
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    holiday_country: str = ""
    holiday_subdivision: str = ""


@dataclass(frozen=True)
class DemoAway:
    """Time off relative to the day the demo is loaded, in the person's own time zone."""

    started_days_ago: int
    # The first day back at work; the away range ends the day before.
    back_in_days: int
    note: str


@dataclass(frozen=True)
class DemoPerson:
    key: str
    display_name: str
    role: Role
    headline: str = ""
    bio: str = ""
    country: str = ""
    calendar: DemoCalendar | None = None
    away: DemoAway | None = None

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoFeedback:
    """Both sides' feedback on a completed demo contract (left through the engine's
    ``leave_feedback``; the second one publishes both)."""

    rating: int  # the client's public rating of the freelancer, 1..5
    text: str
    freelancer_rating: int  # the freelancer's public rating of the client
    freelancer_text: str


@dataclass(frozen=True)
class DemoPurchase:
    """A purchase the demo makes through ``contract_purchase`` with the sandbox test card."""

    buyer: str  # a DemoPerson.key
    tier: int = 0  # index into the project's tiers
    addons: tuple[int, ...] = ()  # indexes into the project's add-ons
    # One answer per requirement question, in order ("" leaves an optional one blank).
    answers: tuple[str, ...] = ()
    # Whether the freelancer accepts it (request mode) right away.
    accepted: bool = False
    # Set: the work is delivered and approved at load time, then both leave this feedback.
    completed: DemoFeedback | None = None


@dataclass(frozen=True)
class DemoProject:
    owner: str  # a DemoPerson.key
    title: str
    category: str  # a seeded Category.slug
    description: str
    tags: tuple[str, ...]
    tiers: tuple[TierInput, ...]
    addons: tuple[AddOnInput, ...] = ()
    questions: tuple[QuestionInput, ...] = ()
    faq: tuple[FaqInput, ...] = ()
    purchase_mode: Literal["instant", "request"] = "instant"
    # As in the product: delivery days are the freelancer's working days unless a project
    # says calendar days.
    delivery_in_working_days: bool = True
    capacity: int | None = None
    status: Status = "published"
    # How many gallery images to generate (pleasant gradients carrying the title).
    images: int = 1
    # Contracts bought at load time; they take capacity slots like any purchase.
    purchases: tuple[DemoPurchase, ...] = ()


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        key="ana",
        display_name="Ana Sousa",
        role="freelancer",
        headline="Brand designer and illustrator in Lisbon",
        bio=(
            "I design logos, packaging and illustrations for small businesses, cafés and "
            "independent publishers. Ten years in studios, five on my own. I answer within a "
            "working day, Lisbon time, and I take Portuguese public holidays off."
        ),
        country="PT",
        calendar=DemoCalendar(
            time_zone="Europe/Lisbon",
            work_start=time(9, 30),
            work_end=time(18, 0),
            holiday_country="PT",
        ),
    ),
    DemoPerson(
        key="hiro",
        display_name="Hiroshi Tanaka",
        role="freelancer",
        headline="Python and Django engineer, data dashboards",
        bio=(
            "Backend engineer from Tokyo. I build APIs, fix slow pages and turn spreadsheets "
            "into dashboards people actually open. I work Monday to Friday, Japan time, so "
            "messages sent in your evening are answered in your morning."
        ),
        country="JP",
        calendar=DemoCalendar(
            time_zone="Asia/Tokyo",
            work_start=time(10, 0),
            work_end=time(19, 0),
            holiday_country="JP",
        ),
    ),
    DemoPerson(
        key="lena",
        display_name="Lena Fischer",
        role="freelancer",
        headline="Writer, editor and German–English translator",
        bio=(
            "Former newspaper sub-editor. I write and translate for tech companies, "
            "researchers and small shops, and I work a four-day week. I am on holiday at "
            "the moment; my projects reopen the day I am back."
        ),
        country="DE",
        calendar=DemoCalendar(
            time_zone="Europe/Berlin",
            working_weekdays=(MON, TUE, WED, THU),
            work_start=time(8, 0),
            work_end=time(16, 0),
            holiday_country="DE",
            holiday_subdivision="BE",
        ),
        away=DemoAway(started_days_ago=4, back_in_days=10, note="Hiking in the Dolomites"),
    ),
    DemoPerson(
        key="maya",
        display_name="Maya Okafor",
        role="freelancer",
        headline="Video editor, audio producer and photographer",
        bio=(
            "I edit podcasts and YouTube channels and shoot products in my Brooklyn studio. "
            "Tuesday to Saturday, New York time: weekends are when creators upload, so that "
            "is when I am around."
        ),
        country="US",
        calendar=DemoCalendar(
            time_zone="America/New_York",
            working_weekdays=(TUE, WED, THU, FRI, SAT),
            work_start=time(10, 0),
            work_end=time(18, 0),
            holiday_country="US",
            holiday_subdivision="NY",
        ),
    ),
    DemoPerson(
        key="chloe",
        display_name="Chloé Martin",
        role="client",
        headline="Founder of a small coffee roastery",
        country="FR",
        calendar=DemoCalendar(time_zone="Europe/Paris"),
    ),
    DemoPerson(
        key="sam",
        display_name="Sam Taylor",
        role="client",
        headline="Runs an online plant shop",
        country="GB",
        calendar=DemoCalendar(time_zone="Europe/London"),
    ),
    DemoPerson(
        key="olga",
        display_name="Olga Novak",
        role="operator",
        headline="Marketplace operations",
        country="NL",
        calendar=DemoCalendar(time_zone="Europe/Amsterdam"),
    ),
)


def _q(prompt: str, kind: str = "text", *choices: str, required: bool = True) -> QuestionInput:
    return QuestionInput(prompt=prompt, kind=kind, choices=tuple(choices), required=required)


PROJECTS: tuple[DemoProject, ...] = (
    # --- Ana Sousa, Lisbon: design, illustration, photography -----------------------------
    DemoProject(
        owner="ana",
        title="A logo and compact brand kit for your small business",
        category="design",
        description=(
            "A logo you can put on a shop sign, a coffee cup and a favicon without it falling "
            "apart.\n\n"
            "**How it works**\n\n"
            "1. You tell me about the business and the people it serves.\n"
            "2. I sketch directions and send the strongest ones as clean vector concepts.\n"
            "3. We refine one until it feels like yours.\n\n"
            "You get the source files and the rights to use them everywhere."
        ),
        tags=("logo", "branding", "brand identity", "vector"),
        tiers=(
            TierInput(
                name="Starter",
                price_minor=major(180),
                delivery_days=3,
                revisions=2,
                deliverables=("2 logo concepts", "Final logo in SVG, PNG and PDF"),
                description="A clean logo for a new business.",
            ),
            TierInput(
                name="Brand kit",
                price_minor=major(420),
                delivery_days=6,
                revisions=3,
                deliverables=(
                    "3 logo concepts",
                    "Colour palette and type pairing",
                    "One-page brand guide",
                    "Social media avatars",
                ),
                description="Everything you need to look consistent online and in print.",
            ),
            TierInput(
                name="Full identity",
                price_minor=major(850),
                delivery_days=10,
                revisions=5,
                deliverables=(
                    "4 logo concepts",
                    "Brand guide (12 pages)",
                    "Business card and letterhead",
                    "Packaging label template",
                ),
                description="For businesses launching a physical product.",
            ),
        ),
        addons=(
            AddOnInput(
                title="One extra logo concept", price_minor=major(60), extra_delivery_days=1
            ),
            AddOnInput(
                title="Animated logo for video intros",
                price_minor=major(140),
                extra_delivery_days=3,
            ),
            # Two working days sooner: Starter in 1 day, Brand kit in 4, Full identity in 8.
            AddOnInput(title="Express delivery", price_minor=major(90), extra_delivery_days=-2),
        ),
        questions=(
            _q("What is the business called, and what does it do?"),
            _q(
                "Which style do you lean towards?",
                "single",
                "Minimal",
                "Playful",
                "Vintage",
                "Not sure yet",
            ),
            _q("Upload any existing logo, sketches or references", "file", required=False),
        ),
        faq=(
            FaqInput(
                question="Do I own the final logo?",
                answer="Yes. Full rights transfer to you when the contract completes.",
            ),
            FaqInput(
                question="Can you trademark it for me?",
                answer="I cannot give legal advice, but I design with trademark searches in mind and avoid common marks.",
            ),
        ),
        images=2,
        # Two clients' finished work, with feedback both ways: Ana's score shows.
        purchases=(
            DemoPurchase(
                buyer="chloe",
                answers=("Grão, a small coffee roastery in Lyon", "Vintage", ""),
                completed=DemoFeedback(
                    rating=5,
                    text="Ana understood the roastery at once; the logo works on every bag.",
                    freelancer_rating=5,
                    freelancer_text="A clear brief and quick, decisive answers.",
                ),
            ),
            DemoPurchase(
                buyer="sam",
                answers=("Leaf & Loam, an online plant shop", "Playful", ""),
                completed=DemoFeedback(
                    rating=5,
                    text="Friendly, fast and the brand kit is a joy to use.",
                    freelancer_rating=5,
                    freelancer_text="Lovely to work with. Paid promptly.",
                ),
            ),
        ),
    ),
    DemoProject(
        owner="ana",
        title="Custom editorial illustration for articles and newsletters",
        category="design",
        description=(
            "Hand-drawn, then finished digitally: a warm editorial illustration that makes "
            "people stop scrolling. I read your piece first and propose two ideas before "
            "drawing anything.\n\n"
            "Because every article is different, I review each request before accepting it."
        ),
        tags=("illustration", "editorial", "newsletter", "blog"),
        tiers=(
            TierInput(
                name="Spot",
                price_minor=major(120),
                delivery_days=4,
                revisions=1,
                deliverables=("1 spot illustration", "Web-ready PNG"),
            ),
            TierInput(
                name="Header",
                price_minor=major(260),
                delivery_days=6,
                revisions=2,
                deliverables=(
                    "1 full-width header",
                    "Square crop for social",
                    "Layered source file",
                ),
            ),
        ),
        addons=(AddOnInput(title="Print licence (up to 10,000 copies)", price_minor=major(150)),),
        questions=(
            _q("Paste the article or a summary of it"),
            _q("Where will it appear?", "single", "Website", "Newsletter", "Print", "All of these"),
        ),
        faq=(
            FaqInput(
                question="Do you use AI image generators?", answer="No. Every line is drawn by me."
            ),
        ),
        purchase_mode="request",
    ),
    DemoProject(
        owner="ana",
        title="Children's book illustration: three full-colour spreads",
        category="design",
        description=(
            "Three double-page spreads for your picture book, in a soft gouache style. We "
            "agree characters first with a quick sheet, then move to the spreads.\n\n"
            "I take only a few books at a time so each one gets proper attention."
        ),
        tags=("children's book", "illustration", "picture book", "gouache"),
        tiers=(
            TierInput(
                name="Three spreads",
                price_minor=major(1200),
                delivery_days=20,
                revisions=2,
                deliverables=("Character sheet", "3 double-page spreads", "Print-ready CMYK files"),
            ),
        ),
        addons=(
            AddOnInput(title="Cover illustration", price_minor=major(450), extra_delivery_days=5),
        ),
        questions=(
            _q("Share the manuscript or the text for these spreads", "file"),
            _q("Who is the book for (age group)?", "single", "0–3", "4–6", "7–9"),
            _q("Anything else I should know about the characters?", required=False),
        ),
        faq=(
            FaqInput(
                question="Can you do the whole book?",
                answer="Yes — ask for a custom quote from this page.",
            ),
        ),
        purchase_mode="request",
        # Two of three slots taken: the page shows a project that is nearly full.
        capacity=3,
        purchases=(
            DemoPurchase(
                buyer="chloe",
                answers=("the-lighthouse-cat-manuscript.pdf", "4–6", "Mimi is a grey tabby."),
                accepted=True,
            ),
            DemoPurchase(
                buyer="chloe",
                addons=(0,),
                answers=("bruno-the-roasting-bear.pdf", "0–3", ""),
            ),
        ),
    ),
    DemoProject(
        owner="ana",
        title="Product photo retouching: ten images on a clean white background",
        category="photography",
        description=(
            "Marketplace-ready product photos: background removed, colour corrected, dust "
            "and scratches gone, consistent shadows. Send me your phone photos and get back "
            "images that match Amazon and Etsy guidelines."
        ),
        tags=("retouching", "product photos", "background removal", "ecommerce"),
        tiers=(
            TierInput(
                name="10 images",
                price_minor=major(45),
                delivery_days=2,
                revisions=1,
                deliverables=("10 retouched images", "JPG at 2000 px"),
            ),
            TierInput(
                name="30 images",
                price_minor=major(120),
                delivery_days=4,
                revisions=2,
                deliverables=("30 retouched images", "JPG and transparent PNG"),
            ),
            TierInput(
                name="60 images",
                price_minor=major(220),
                delivery_days=6,
                revisions=2,
                deliverables=(
                    "60 retouched images",
                    "JPG and transparent PNG",
                    "Natural drop shadows",
                ),
            ),
        ),
        # One working day sooner for every size (ten images next working day).
        addons=(AddOnInput(title="Rush delivery", price_minor=major(40), extra_delivery_days=-1),),
        questions=(_q("Upload your photos (a zip is fine)", "file"),),
        purchases=(
            DemoPurchase(
                buyer="sam",
                answers=("plant-photos.zip",),
                completed=DemoFeedback(
                    rating=4,
                    text="Clean results; two photos needed a second pass.",
                    freelancer_rating=5,
                    freelancer_text="Good photos to start from, clear instructions.",
                ),
            ),
        ),
        faq=(
            FaqInput(
                question="Do you shoot the photos too?",
                answer="Not in this project; Maya offers product photography in New York.",
            ),
        ),
    ),
    DemoProject(
        owner="ana",
        title="Social media carousel templates you can edit in Canva",
        category="marketing",
        description=(
            "Twelve carousel templates in your brand colours, built in Canva so your team "
            "can fill them in without a designer. Includes a short video walkthrough."
        ),
        tags=("instagram", "canva", "social media", "templates"),
        tiers=(
            TierInput(
                name="12 templates",
                price_minor=major(160),
                delivery_days=4,
                revisions=2,
                deliverables=("12 editable Canva templates", "Walkthrough video"),
            ),
            TierInput(
                name="24 templates",
                price_minor=major(280),
                delivery_days=6,
                revisions=3,
                deliverables=("24 editable Canva templates", "Story versions", "Walkthrough video"),
            ),
        ),
        questions=(_q("Link to your Instagram or brand guide"),),
    ),
    DemoProject(
        owner="ana",
        title="Azulejo-inspired pattern design for packaging",
        category="design",
        description="Repeating patterns inspired by Lisbon's tiles, for wrapping paper, tins and labels.",
        tags=("pattern", "packaging", "azulejo"),
        tiers=(
            TierInput(
                name="One pattern",
                price_minor=major(300),
                delivery_days=7,
                revisions=2,
                deliverables=("Seamless pattern tile", "Two colourways"),
            ),
        ),
        status="draft",
        images=0,
    ),
    # --- Hiroshi Tanaka, Tokyo: development and data --------------------------------------
    DemoProject(
        owner="hiro",
        title="A Django REST API for your MVP, tested and documented",
        category="development",
        description=(
            "A production-ready backend for your first release: Django, PostgreSQL, token "
            "auth, an OpenAPI document and tests that run in CI.\n\n"
            "I review each request first so we agree on scope before any money moves. "
            "Working days are Japan working days."
        ),
        tags=("django", "python", "rest api", "postgresql", "mvp"),
        tiers=(
            TierInput(
                name="Core",
                price_minor=major(900),
                delivery_days=7,
                revisions=1,
                deliverables=("Up to 5 resources", "Token auth", "OpenAPI docs"),
            ),
            TierInput(
                name="Launch",
                price_minor=major(1800),
                delivery_days=12,
                revisions=2,
                deliverables=(
                    "Up to 12 resources",
                    "Auth and roles",
                    "Background jobs",
                    "CI pipeline",
                ),
            ),
            TierInput(
                name="Scale",
                price_minor=major(3400),
                delivery_days=20,
                revisions=3,
                deliverables=(
                    "Up to 25 resources",
                    "Payments integration",
                    "Load test report",
                    "Deployment on your cloud",
                ),
            ),
        ),
        addons=(
            AddOnInput(title="Admin dashboard", price_minor=major(300), extra_delivery_days=3),
            AddOnInput(title="One month of bug-fix support", price_minor=major(400)),
        ),
        questions=(
            _q("Describe the product and who uses it"),
            _q(
                "Where will it run?",
                "single",
                "Your cloud account",
                "A PaaS like Render or Fly",
                "Not decided",
            ),
            _q("Attach any specs, wireframes or an existing schema", "file", required=False),
        ),
        faq=(
            FaqInput(
                question="Do I get the source code?",
                answer="Yes, in your own Git repository from day one.",
            ),
            FaqInput(
                question="Can you work with FastAPI instead?", answer="Yes; ask for a custom quote."
            ),
        ),
        purchase_mode="request",
        images=2,
    ),
    DemoProject(
        owner="hiro",
        title="Fix a bug in your Python or Django application",
        category="development",
        description=(
            "One bug, found and fixed, with a regression test so it stays fixed. If I cannot "
            "reproduce it within the delivery time, I refund you in full."
        ),
        tags=("python", "django", "bug fix", "debugging"),
        tiers=(
            TierInput(
                name="Small bug",
                price_minor=major(90),
                delivery_days=2,
                revisions=1,
                deliverables=("Fix as a pull request", "Regression test"),
            ),
            TierInput(
                name="Tricky bug",
                price_minor=major(240),
                delivery_days=4,
                revisions=1,
                deliverables=("Root-cause write-up", "Fix as a pull request", "Regression tests"),
            ),
        ),
        questions=(
            _q("What happens, and what did you expect?"),
            _q("Link to the repository or attach the relevant code", "file", required=False),
        ),
        faq=(
            FaqInput(
                question="What if it turns out to be several bugs?",
                answer="I will tell you before doing more and we can agree an extra milestone.",
            ),
        ),
        purchases=(
            DemoPurchase(
                buyer="chloe",
                answers=(
                    "The checkout page of our shop shows prices without VAT for French visitors.",
                    "",
                ),
            ),
        ),
    ),
    DemoProject(
        owner="hiro",
        title="An interactive dashboard in Streamlit or Metabase",
        category="data",
        description=(
            "Turn the numbers you already have into a dashboard you check every morning. "
            "I connect your database or spreadsheets, build the charts and set up refreshes."
        ),
        tags=("dashboard", "streamlit", "metabase", "data visualisation", "sql"),
        tiers=(
            TierInput(
                name="One page",
                price_minor=major(350),
                delivery_days=5,
                revisions=2,
                deliverables=("Dashboard with up to 6 charts", "Daily refresh"),
            ),
            TierInput(
                name="Team",
                price_minor=major(750),
                delivery_days=9,
                revisions=3,
                deliverables=(
                    "Up to 3 dashboard pages",
                    "Filters and drill-down",
                    "User access setup",
                ),
            ),
        ),
        addons=(
            AddOnInput(
                title="Weekly email snapshot", price_minor=major(120), extra_delivery_days=1
            ),
        ),
        questions=(
            _q("Which tool do you prefer?", "single", "Streamlit", "Metabase", "You choose"),
            _q("Where does the data live?"),
        ),
    ),
    DemoProject(
        owner="hiro",
        title="Clean, merge and deduplicate messy spreadsheets",
        category="data",
        description=(
            "Five exports that almost line up? I merge them into one tidy table, fix dates "
            "and currencies, remove duplicates and give you the script so it is repeatable."
        ),
        tags=("excel", "data cleaning", "pandas", "csv"),
        tiers=(
            TierInput(
                name="Up to 5 files",
                price_minor=major(80),
                delivery_days=2,
                revisions=1,
                deliverables=("Clean CSV or XLSX", "Python script"),
            ),
            TierInput(
                name="Up to 20 files",
                price_minor=major(200),
                delivery_days=4,
                revisions=2,
                deliverables=("Clean CSV or XLSX", "Python script", "Data quality report"),
            ),
        ),
        questions=(_q("Upload the files", "file"), _q("What should the result look like?")),
        # Two clients' finished work, with feedback both ways: Hiro's score shows.
        purchases=(
            DemoPurchase(
                buyer="chloe",
                answers=("coffee-sales-exports.zip", "One sheet per month, one row per bag sold."),
                completed=DemoFeedback(
                    rating=5,
                    text="Five messy exports became one tidy sheet, and I can rerun it myself.",
                    freelancer_rating=5,
                    freelancer_text="Well-prepared files and a precise description.",
                ),
            ),
            DemoPurchase(
                buyer="sam",
                answers=("orders-2025.zip", "A single table of orders without duplicates."),
                completed=DemoFeedback(
                    rating=5,
                    text="Quick and careful; the data quality report caught real problems.",
                    freelancer_rating=4,
                    freelancer_text="Friendly client; the files arrived a day late.",
                ),
            ),
        ),
    ),
    DemoProject(
        owner="hiro",
        title="Speed up a slow website: audit and fixes",
        category="development",
        description=(
            "I measure where your pages spend their time (server, database, images, "
            "scripts), fix the worst offenders and show you before/after numbers."
        ),
        tags=("performance", "web vitals", "wordpress", "optimisation"),
        tiers=(
            TierInput(
                name="Audit",
                price_minor=major(150),
                delivery_days=3,
                revisions=0,
                deliverables=("Performance report", "Prioritised fix list"),
            ),
            TierInput(
                name="Audit and fixes",
                price_minor=major(450),
                delivery_days=6,
                revisions=1,
                deliverables=("Performance report", "Fixes applied", "Before/after measurements"),
            ),
        ),
        questions=(
            _q("Site URL"),
            _q("Which platform?", "single", "WordPress", "Shopify", "Custom code", "Other"),
        ),
    ),
    DemoProject(
        owner="hiro",
        title="A web scraper that runs on a schedule",
        category="development",
        description=(
            "A polite, robust scraper for public data you are allowed to collect, delivered "
            "as a small Python project with a schedule and alerts when the site changes."
        ),
        tags=("web scraping", "python", "automation"),
        tiers=(
            TierInput(
                name="One site",
                price_minor=major(220),
                delivery_days=4,
                revisions=1,
                deliverables=("Scraper script", "Scheduled run", "CSV output"),
            ),
        ),
        questions=(_q("Which site and which data?"),),
        status="paused",
    ),
    # --- Lena Fischer, Berlin: writing and translation (currently away) -------------------
    DemoProject(
        owner="lena",
        title="German to English translation, up to 2,000 words",
        category="writing",
        description=(
            "Natural English from German originals (or the other way round), translated by a "
            "native speaker of German with twelve years of English-language newsrooms behind "
            "her. Terminology lists are kept for repeat clients."
        ),
        tags=("translation", "german", "english", "localisation"),
        tiers=(
            TierInput(
                name="500 words",
                price_minor=major(60),
                delivery_days=2,
                revisions=1,
                deliverables=("Translated document", "Terminology notes"),
            ),
            TierInput(
                name="2,000 words",
                price_minor=major(210),
                delivery_days=4,
                revisions=2,
                deliverables=("Translated document", "Terminology list"),
            ),
        ),
        addons=(
            AddOnInput(
                title="Second-pass proofread by a native English editor",
                price_minor=major(70),
                extra_delivery_days=1,
            ),
        ),
        questions=(
            _q("Which direction?", "single", "German → English", "English → German"),
            _q("Upload the document", "file"),
        ),
    ),
    DemoProject(
        owner="lena",
        title="A researched SEO blog article of 1,500 words",
        category="writing",
        description=(
            "An article people read to the end: researched, sourced, structured for search "
            "and written in your voice. Includes meta description and internal link ideas."
        ),
        tags=("blog", "seo", "content writing", "article"),
        tiers=(
            TierInput(
                name="1 article",
                price_minor=major(140),
                delivery_days=4,
                revisions=2,
                deliverables=("1,500-word article", "Meta title and description"),
            ),
            TierInput(
                name="4 articles",
                price_minor=major(500),
                delivery_days=12,
                revisions=2,
                deliverables=("4 articles", "Keyword map", "Meta titles and descriptions"),
            ),
        ),
        questions=(
            _q("Topic and target keyword"),
            _q("Link to two articles whose tone you like", required=False),
        ),
    ),
    DemoProject(
        owner="lena",
        title="Proofreading and copy-editing for academic papers",
        category="writing",
        description=(
            "Clear, correct English for journal submissions and theses. I keep your meaning "
            "and your voice, track every change, and check references against your style guide."
        ),
        tags=("proofreading", "academic", "editing", "thesis"),
        tiers=(
            TierInput(
                name="Up to 5,000 words",
                price_minor=major(120),
                delivery_days=3,
                revisions=1,
                deliverables=("Tracked-changes document", "Summary of recurring issues"),
            ),
            TierInput(
                name="Up to 15,000 words",
                price_minor=major(320),
                delivery_days=7,
                revisions=1,
                deliverables=("Tracked-changes document", "Reference check"),
            ),
        ),
        questions=(
            _q("Which style guide?", "single", "APA", "Chicago", "Harvard", "Journal-specific"),
            _q("Upload the manuscript", "file"),
        ),
    ),
    DemoProject(
        owner="lena",
        title="Website copy for a five-page small business site",
        category="writing",
        description="Home, about, services, pricing and contact pages written to convert, after a 30-minute call.",
        tags=("copywriting", "website", "small business"),
        tiers=(
            TierInput(
                name="Five pages",
                price_minor=major(450),
                delivery_days=7,
                revisions=2,
                deliverables=("Copy for 5 pages", "Headline alternatives"),
            ),
        ),
        questions=(_q("What does the business sell, and to whom?"),),
        purchase_mode="request",
    ),
    DemoProject(
        owner="lena",
        title="Business plan review with a financial sanity check",
        category="business",
        description=(
            "Before you show it to a bank or investor: I read your plan like they will, "
            "check the numbers add up and send a marked-up copy with a one-page summary."
        ),
        tags=("business plan", "review", "finance", "startup"),
        tiers=(
            TierInput(
                name="Review",
                price_minor=major(190),
                delivery_days=4,
                revisions=1,
                deliverables=("Marked-up plan", "One-page summary"),
            ),
            TierInput(
                name="Review and rewrite",
                price_minor=major(480),
                delivery_days=8,
                revisions=2,
                deliverables=("Rewritten executive summary", "Marked-up plan", "Model checks"),
            ),
        ),
        questions=(_q("Upload the plan and any spreadsheet", "file"),),
    ),
    DemoProject(
        owner="lena",
        title="Conversational German lessons online: four one-hour sessions",
        category="lifestyle",
        description="Relaxed, structured conversation practice for A2–C1 learners, with notes after each lesson.",
        tags=("german lessons", "language", "tutoring"),
        tiers=(
            TierInput(
                name="4 lessons",
                price_minor=major(140),
                delivery_days=14,
                revisions=0,
                deliverables=("4 × 60-minute video lessons", "Lesson notes"),
            ),
            TierInput(
                name="8 lessons",
                price_minor=major(260),
                delivery_days=28,
                revisions=0,
                deliverables=("8 × 60-minute video lessons", "Lesson notes", "Progress review"),
            ),
        ),
        questions=(_q("Your current level", "single", "A2", "B1", "B2", "C1"),),
        # Lessons follow the learner's diary, not Lena's working week: calendar days.
        delivery_in_working_days=False,
    ),
    # --- Maya Okafor, New York: video, audio, photography, marketing ----------------------
    DemoProject(
        owner="maya",
        title="Podcast editing and mixing, up to 60 minutes",
        category="audio",
        description=(
            "Ums, long pauses and crosstalk gone; levels matched between hosts; intro and "
            "outro music mixed in; loudness set for Apple and Spotify."
        ),
        tags=("podcast", "audio editing", "mixing", "mastering"),
        tiers=(
            TierInput(
                name="Edit",
                price_minor=major(75),
                delivery_days=2,
                revisions=1,
                deliverables=("Edited and mastered MP3 and WAV",),
            ),
            TierInput(
                name="Edit and show notes",
                price_minor=major(130),
                delivery_days=3,
                revisions=2,
                deliverables=("Edited and mastered episode", "Show notes", "Three audiogram clips"),
            ),
        ),
        addons=(AddOnInput(title="Transcript", price_minor=major(25)),),
        questions=(_q("Upload the raw recordings", "file"), _q("Anything to cut?", required=False)),
        images=2,
    ),
    DemoProject(
        owner="maya",
        title="YouTube video editing with captions and a thumbnail",
        category="video",
        description=(
            "Tight cuts, B-roll, sound clean-up, burned-in or SRT captions and a thumbnail "
            "that gets clicked. Up to 15 minutes of finished video."
        ),
        tags=("youtube", "video editing", "captions", "thumbnail"),
        tiers=(
            TierInput(
                name="Up to 8 minutes",
                price_minor=major(150),
                delivery_days=3,
                revisions=2,
                deliverables=("Edited video", "SRT captions"),
            ),
            TierInput(
                name="Up to 15 minutes",
                price_minor=major(260),
                delivery_days=5,
                revisions=2,
                deliverables=("Edited video", "SRT captions", "Thumbnail"),
            ),
            TierInput(
                name="Channel package",
                price_minor=major(900),
                delivery_days=14,
                revisions=3,
                deliverables=("4 edited videos", "Captions", "Thumbnails", "Shorts cut-downs"),
            ),
        ),
        addons=(
            AddOnInput(
                title="Two vertical Shorts from the same footage",
                price_minor=major(60),
                extra_delivery_days=1,
            ),
        ),
        questions=(
            _q("Share a link to the raw footage"),
            _q("Caption style", "single", "Burned-in", "SRT file", "Both"),
        ),
    ),
    DemoProject(
        owner="maya",
        title="A 60-second animated explainer video",
        category="video",
        description=(
            "Script, voice-over and motion graphics that explain your product in one minute. "
            "I review the brief before accepting so the timeline is realistic."
        ),
        tags=("animation", "explainer video", "motion graphics"),
        tiers=(
            TierInput(
                name="Explainer",
                price_minor=major(1100),
                delivery_days=14,
                revisions=2,
                deliverables=("Script", "Voice-over", "60-second animation in 1080p"),
            ),
        ),
        questions=(
            _q("What does the product do, in two sentences?"),
            _q("Brand assets", "file", required=False),
        ),
        purchase_mode="request",
    ),
    DemoProject(
        owner="maya",
        title="Professional American English voice-over",
        category="audio",
        description="Warm, clear voice-over for ads, e-learning and phone systems, recorded in a treated booth.",
        tags=("voice over", "narration", "american english"),
        tiers=(
            TierInput(
                name="Up to 150 words",
                price_minor=major(85),
                delivery_days=2,
                revisions=1,
                deliverables=("WAV and MP3",),
            ),
            TierInput(
                name="Up to 600 words",
                price_minor=major(220),
                delivery_days=3,
                revisions=2,
                deliverables=("WAV and MP3", "Split files per paragraph"),
            ),
        ),
        questions=(
            _q("Paste the script"),
            _q("Tone", "single", "Friendly", "Authoritative", "Energetic"),
        ),
    ),
    DemoProject(
        owner="maya",
        title="Lifestyle product photography: fifteen edited shots",
        category="photography",
        description="Your product styled and shot in a bright Brooklyn studio, with props chosen to fit your brand.",
        tags=("product photography", "lifestyle", "studio"),
        tiers=(
            TierInput(
                name="15 shots",
                price_minor=major(480),
                delivery_days=10,
                revisions=1,
                deliverables=("15 edited photos", "Web and print sizes"),
            ),
        ),
        addons=(
            AddOnInput(
                title="Short looping video clip", price_minor=major(150), extra_delivery_days=2
            ),
        ),
        questions=(_q("How many products, and how big are they?"),),
        purchase_mode="request",
    ),
    DemoProject(
        owner="maya",
        title="Newsletter setup and your first campaign in Mailchimp",
        category="marketing",
        description="Sign-up form on your site, a branded template, a welcome sequence and your first campaign sent.",
        tags=("email marketing", "mailchimp", "newsletter"),
        tiers=(
            TierInput(
                name="Setup",
                price_minor=major(200),
                delivery_days=4,
                revisions=2,
                deliverables=("Branded template", "Sign-up form", "First campaign"),
            ),
            TierInput(
                name="Setup and welcome flow",
                price_minor=major(380),
                delivery_days=7,
                revisions=2,
                deliverables=(
                    "Branded template",
                    "Sign-up form",
                    "3-email welcome flow",
                    "First campaign",
                ),
            ),
        ),
        questions=(_q("Do you already have a Mailchimp account?", "single", "Yes", "No"),),
    ),
    DemoProject(
        owner="maya",
        title="Career coaching for creative freelancers: one session",
        category="lifestyle",
        description="Pricing, positioning and saying no to bad clients: a 90-minute call and a written action plan.",
        tags=("coaching", "freelancing", "career"),
        tiers=(
            TierInput(
                name="One session",
                price_minor=major(110),
                delivery_days=7,
                revisions=0,
                deliverables=("90-minute video call", "Written action plan"),
            ),
        ),
        questions=(_q("What would you like to change in the next six months?"),),
    ),
    DemoProject(
        owner="maya",
        title="Wedding highlight film, 3–5 minutes",
        category="video",
        description="Your own footage edited into a highlight film set to licensed music.",
        tags=("wedding", "video editing"),
        tiers=(
            TierInput(
                name="Highlight film",
                price_minor=major(350),
                delivery_days=10,
                revisions=2,
                deliverables=("3–5 minute film in 4K",),
            ),
        ),
        status="draft",
        images=0,
    ),
    DemoProject(
        owner="hiro",
        title="Bookkeeping automation: bank exports to your accounting tool",
        category="business",
        description="A script that turns bank CSV exports into categorised entries for Xero or QuickBooks.",
        tags=("bookkeeping", "automation", "xero", "quickbooks"),
        tiers=(
            TierInput(
                name="One bank",
                price_minor=major(260),
                delivery_days=5,
                revisions=1,
                deliverables=("Import script", "Category rules file"),
            ),
        ),
        questions=(_q("Which bank and which accounting tool?"),),
        status="paused",
    ),
)


@dataclass(frozen=True)
class DemoOffer:
    """A custom offer the project's freelancer sends in answer; open for ``expires_in_days``."""

    scope: str
    # (title, amount in minor units, working days) per milestone; they sum to the price.
    milestones: tuple[tuple[str, int, int], ...]
    revisions: int = 1
    expires_in_days: int = 14


@dataclass(frozen=True)
class DemoQuote:
    """A quote request a client makes from a published project, answered or not."""

    buyer: str  # a DemoPerson.key
    owner: str  # the project's freelancer, a DemoPerson.key
    project_title: str
    need: str
    budget_minor: int | None = None
    offer: DemoOffer | None = None


# Both dashboards' "Quotes and offers" lists have something in them: an offer waiting for
# Chloé's answer, and a request waiting for Ana's.
QUOTES: tuple[DemoQuote, ...] = (
    DemoQuote(
        buyer="chloe",
        owner="hiro",
        project_title="A Django REST API for your MVP, tested and documented",
        need=(
            "The API for a booking app: venues, time slots, bookings and payments through "
            "Stripe, with an admin for the venues. More than your largest package covers."
        ),
        budget_minor=major(2_000),
        offer=DemoOffer(
            scope=(
                "Venues, slots and bookings with tests and an OpenAPI document first; then "
                "Stripe payments, webhooks and the venue admin."
            ),
            milestones=(
                ("Venues, slots and bookings", major(1_100), 8),
                ("Payments and the venue admin", major(900), 6),
            ),
            revisions=2,
        ),
    ),
    DemoQuote(
        buyer="chloe",
        owner="ana",
        project_title="A logo and compact brand kit for your small business",
        need=(
            "A logo and a 40-page brand book for my bakery chain: colours, type, signage "
            "and packaging. Your top package stops at 12 pages."
        ),
        budget_minor=major(1_200),
    ),
)
