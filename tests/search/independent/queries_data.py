# ruff: noqa: E501
"""The judged queries: what a person typing each query expects in the first 10 results.

Grades: 2 = the answer (what the query asks for), 1 = relevant (a person would be glad to
see it on the first page). Projects not listed are not expected: near-misses that share
one word of a two-word need ("logo animation" for "logo design"), projects that only
mention the word in passing, other meanings. Judged by reading the whole catalog
(catalog_data.py and the demo's published projects), never by looking at what an engine
returns. Every synonym a judgment relies on is listed in README.md.

A query of kind ``nonsense`` expects nothing: the search must return no results at all.
"""

from __future__ import annotations

from typing import NamedTuple


class Query(NamedTuple):
    q: str
    kind: str
    expected: dict[str, int]


KINDS = (
    "single_word",
    "plural_verb_form",
    "multi_word",
    "category_word",
    "prefix",
    "typo",
    "compound",
    "accent",
    "synonym",
    "nonsense",
)

# The demo's published projects, by the key rule ("demo:" + slugify(title)[:40]).
D_LOGO = "demo:a-logo-and-compact-brand-kit-for-your-sm"
D_EDITORIAL = "demo:custom-editorial-illustration-for-articl"
D_CHILDREN = "demo:childrens-book-illustration-three-full-c"
D_RETOUCH = "demo:product-photo-retouching-ten-images-on-a"
D_CAROUSEL = "demo:social-media-carousel-templates-you-can"
D_DJANGO_API = "demo:a-django-rest-api-for-your-mvp-tested-an"
D_BUGFIX = "demo:fix-a-bug-in-your-python-or-django-appli"
D_DASHBOARD = "demo:an-interactive-dashboard-in-streamlit-or"
D_SPREADSHEETS = "demo:clean-merge-and-deduplicate-messy-spread"
D_SPEED = "demo:speed-up-a-slow-website-audit-and-fixes"
D_GERMAN_TR = "demo:german-to-english-translation-up-to-2000"
D_SEO_BLOG = "demo:a-researched-seo-blog-article-of-1500-wo"
D_PROOF = "demo:proofreading-and-copy-editing-for-academ"
D_WEBCOPY = "demo:website-copy-for-a-five-page-small-busin"
D_BPLAN = "demo:business-plan-review-with-a-financial-sa"
D_GERMAN_LESSONS = "demo:conversational-german-lessons-online-fou"
D_PODCAST = "demo:podcast-editing-and-mixing-up-to-60-minu"
D_YOUTUBE = "demo:youtube-video-editing-with-captions-and"
D_EXPLAINER = "demo:a-60-second-animated-explainer-video"
D_VOICE = "demo:professional-american-english-voice-over"
D_PRODUCT_PHOTO = "demo:lifestyle-product-photography-fifteen-ed"
D_NEWSLETTER = "demo:newsletter-setup-and-your-first-campaign"
D_CAREER = "demo:career-coaching-for-creative-freelancers"

# Every published project of a category (demo and catalog). Category words expect the
# whole category as relevant (grade 1); each query lists its grade-2 answers on top.
CATEGORY_MEMBERS: dict[str, tuple[str, ...]] = {
    "design": (
        D_LOGO, D_EDITORIAL, D_CHILDREN, "logo-minimal-wordmark", "logo-mascot",
        "logo-vintage-badge", "logo-redesign", "brand-identity-guide", "business-card-design",
        "flyer-poster-design", "packaging-label-design", "ui-mobile-app-design",
        "ux-audit-website", "landing-page-design-figma", "icon-set-design",
        "infographic-design", "book-cover-design", "ebook-layout-design", "tshirt-design",
        "tshirt-mockups", "portrait-illustration", "pet-portrait-watercolour", "tattoo-design",
        "cafe-menu-design", "presentation-design", "social-banner-design",
        "wedding-invitation-design", "vector-tracing", "naive-folk-illustration",
        "character-design",
    ),
    "development": (
        D_DJANGO_API, D_BUGFIX, D_SPEED, "wordpress-theme-install", "wordpress-speed-fix",
        "wordpress-malware-removal", "wordpress-custom-plugin", "woocommerce-store",
        "shopify-store-setup", "shopify-speed", "django-web-app", "django-upgrade",
        "flask-fastapi-service", "react-frontend", "javascript-bug-fix", "nodejs-api",
        "ios-app", "android-app", "flutter-app", "chrome-extension",
        "python-automation-script", "web-scraping-python", "landing-page-html",
        "webflow-website", "stripe-integration", "postgres-query-tuning", "discord-bot",
        "html-email-template", "website-maintenance", "website-bug-fix-php",
    ),
    "writing": (
        D_GERMAN_TR, D_SEO_BLOG, D_PROOF, D_WEBCOPY, "blog-post-writing",
        "tech-article-writing", "product-description-writing", "resume-writing",
        "cover-letter-writing", "cv-rewrite-career-change", "ghostwriting-ebook",
        "ebook-editing", "english-spanish-translation", "french-business-translation",
        "japanese-game-localization", "press-release-writing", "wedding-speech-writing",
        "grant-proposal-writing", "novel-editing", "ux-writing-microcopy", "newsletter-writing",
        "youtube-script-writing", "transcription-service", "subtitle-translation",
        "seo-landing-page-copy", "case-study-writing", "personal-poem", "thesis-formatting",
        "cafe-menu-translation",
    ),
    "marketing": (
        D_CAROUSEL, D_NEWSLETTER, "seo-audit", "local-seo", "keyword-research", "link-building",
        "google-ads", "facebook-instagram-ads", "social-media-management",
        "instagram-growth-strategy", "tiktok-strategy", "klaviyo-email-automation",
        "email-campaign-copy", "influencer-outreach", "launch-marketing-plan",
        "linkedin-ghostwriting", "amazon-listing-optimization", "youtube-seo",
        "conversion-rate-optimisation", "google-analytics-setup", "wordpress-onpage-seo",
        "pinterest-marketing", "app-store-optimization", "discord-community-management",
        "affiliate-program-setup", "cold-email-outreach", "google-shopping-feed",
    ),
    "video": (
        D_YOUTUBE, D_EXPLAINER, "logo-animation", "whiteboard-explainer",
        "2d-character-animation", "3d-product-animation", "wedding-video-editing",
        "corporate-video-editing", "short-form-video-editing", "podcast-video-clips",
        "subtitles-captions", "colour-grading", "music-video-editing", "ugc-video-ads",
        "drone-footage-editing", "youtube-intro-outro", "motion-graphics-social",
        "real-estate-video", "photo-slideshow-video", "saas-product-demo-video",
        "green-screen-compositing", "animated-gif-stickers", "lyric-video",
        "online-course-video-editing", "game-trailer-editing", "travel-vlog-editing",
        "twitch-overlay-animation",
    ),
    "audio": (
        D_PODCAST, D_VOICE, "voiceover-british", "voice-over-spanish", "voice-over-german",
        "audiobook-narration", "podcast-production", "podcast-intro-music",
        "jingle-composition", "mixing-mastering", "mastering-only", "hip-hop-beat-production",
        "film-score-composer", "game-sound-effects", "audio-cleanup", "ivr-phone-greeting",
        "female-vocals", "session-guitar", "character-voice-acting", "french-voiceover",
        "podcast-editing-express", "meditation-music", "elearning-narration",
        "film-dialogue-mix", "orchestral-arrangement", "ringtone-ui-sounds",
        "karaoke-backing-track",
    ),
    "data": (
        D_DASHBOARD, D_SPREADSHEETS, "power-bi-dashboard", "tableau-dashboard",
        "excel-formulas-vba", "google-sheets-apps-script", "data-entry-pdf",
        "statistics-spss-r", "machine-learning-model", "sentiment-analysis", "sql-reports",
        "etl-airflow-pipeline", "lead-list-scraping", "survey-data-analysis",
        "pandas-jupyter-analysis", "sales-forecasting", "ab-test-analysis",
        "looker-studio-reports", "ai-chatbot-documents", "computer-vision-model",
        "crm-data-cleanup", "database-schema-design", "excel-dashboard", "bigquery-ga4-sql",
        "d3-data-visualisation", "gis-mapping", "phd-research-analysis",
    ),
    "business": (
        D_BPLAN, "business-plan-writing", "pitch-deck-storyline", "financial-model",
        "monthly-bookkeeping", "bookkeeping-catch-up", "uk-tax-return",
        "market-research-report", "competitor-analysis", "virtual-assistant",
        "customer-support-outsourcing", "freelance-contract-templates", "privacy-policy-gdpr",
        "zurich-company-formation", "invoicing-setup", "saas-pricing-strategy",
        "employee-handbook", "recruitment-shortlist", "notion-project-management",
        "small-business-consulting", "kickstarter-campaign-plan", "supplier-sourcing",
        "etsy-shop-setup", "payroll-setup", "year-end-accounts", "business-name-ideas",
        "cafe-business-plan",
    ),
    "photography": (
        D_RETOUCH, D_PRODUCT_PHOTO, "amazon-product-photography", "zurich-corporate-headshots",
        "portrait-retouching", "background-removal-50", "real-estate-photo-editing",
        "food-photography", "wedding-photography-lisbon", "family-photoshoot",
        "fashion-photo-shoot", "old-photo-restoration", "lightroom-presets",
        "batch-photo-editing", "drone-aerial-photography", "event-photography",
        "custom-stock-photos", "virtual-tour-360", "jewellery-photography",
        "ghost-mannequin-editing", "pet-photography", "newborn-photography",
        "photoshop-manipulation", "cafe-interior-photography", "passport-photo-editing",
        "architecture-photography", "actor-headshots-london", "linkedin-headshot-retouch",
    ),
}  # fmt: skip


def category(slug: str, *, answers: tuple[str, ...] = (), **extra: int) -> dict[str, int]:
    """Every project of ``slug`` as relevant, ``answers`` as the answer, plus ``extra``."""
    grades = dict.fromkeys(CATEGORY_MEMBERS[slug], 1)
    grades.update(dict.fromkeys(answers, 2))
    grades.update(extra)
    return grades


def g(answers: tuple[str, ...] = (), relevant: tuple[str, ...] = ()) -> dict[str, int]:
    """Expected grades: ``answers`` 2, ``relevant`` 1."""
    grades = dict.fromkeys(answers, 2)
    grades.update(dict.fromkeys(relevant, 1))
    return grades


# --- shared judgments (the same need typed differently) ----------------------------------

LOGO = g(
    (D_LOGO, "logo-minimal-wordmark", "logo-mascot", "logo-vintage-badge", "logo-redesign"),
    ("vector-tracing", "logo-animation", "brand-identity-guide"),
)
LOGO_DESIGN = g(
    (D_LOGO, "logo-minimal-wordmark", "logo-mascot", "logo-vintage-badge", "logo-redesign"),
    ("vector-tracing", "brand-identity-guide"),
)
WORDPRESS = g(
    ("wordpress-theme-install", "wordpress-speed-fix", "wordpress-malware-removal",
     "wordpress-custom-plugin", "woocommerce-store"),
    ("wordpress-onpage-seo", "website-maintenance", D_SPEED),
)  # fmt: skip
WORDPRESS_SPEED = g(("wordpress-speed-fix", D_SPEED), ("website-maintenance",))
PODCAST = g(
    (D_PODCAST, "podcast-production", "podcast-editing-express"),
    ("podcast-intro-music", "podcast-video-clips"),
)
DJANGO = g((D_DJANGO_API, D_BUGFIX, "django-web-app", "django-upgrade"))
PYTHON = g(
    (D_BUGFIX, "python-automation-script", "web-scraping-python", "discord-bot",
     "pandas-jupyter-analysis", "flask-fastapi-service"),
    ("python-lessons", D_DJANGO_API, "django-web-app", "django-upgrade",
     "machine-learning-model"),
)  # fmt: skip
JAVASCRIPT = g(
    ("javascript-bug-fix", "react-frontend", "nodejs-api", "chrome-extension"),
    ("d3-data-visualisation",),
)
DASHBOARD = g(
    (D_DASHBOARD, "power-bi-dashboard", "tableau-dashboard", "excel-dashboard"),
)
RETOUCHING = g((D_RETOUCH, "portrait-retouching", "linkedin-headshot-retouch"))
HEADSHOTS = g(("zurich-corporate-headshots", "linkedin-headshot-retouch", "actor-headshots-london"))
BOOKKEEPING = g(("monthly-bookkeeping", "bookkeeping-catch-up"))
TUTORING = g(("french-exam-tutoring", "math-tutoring", "sat-act-test-prep", D_GERMAN_LESSONS))
SUBTITLES = g(("subtitles-captions", "subtitle-translation"), ("transcription-service",))
NEWSLETTER = g((D_NEWSLETTER, "newsletter-writing"), (D_EDITORIAL,))
SHOPIFY = g(("shopify-store-setup", "shopify-speed"))
EXCEL = g(
    ("excel-formulas-vba", "excel-dashboard"),
    ("financial-model", D_SPREADSHEETS, "data-entry-pdf"),
)
TRANSLATION = g(
    (D_GERMAN_TR, "english-spanish-translation", "french-business-translation",
     "japanese-game-localization", "subtitle-translation", "cafe-menu-translation"),
)  # fmt: skip
ILLUSTRATION = g(
    (D_EDITORIAL, D_CHILDREN, "portrait-illustration", "naive-folk-illustration"),
    ("pet-portrait-watercolour", "character-design", "logo-mascot", "drawing-lessons"),
)
ANIMATION = g(
    (D_EXPLAINER, "logo-animation", "whiteboard-explainer", "2d-character-animation",
     "3d-product-animation", "animated-gif-stickers", "motion-graphics-social"),
    ("twitch-overlay-animation", "lyric-video"),
)  # fmt: skip
VIDEO_EDITING = g(
    (D_YOUTUBE, "wedding-video-editing", "corporate-video-editing", "short-form-video-editing",
     "music-video-editing", "real-estate-video", "online-course-video-editing",
     "drone-footage-editing", "travel-vlog-editing", "game-trailer-editing"),
    ("podcast-video-clips", "colour-grading"),
)  # fmt: skip
PHOTO_EDITING = g(
    ("real-estate-photo-editing", "batch-photo-editing", "ghost-mannequin-editing",
     "passport-photo-editing", D_RETOUCH),
    ("portrait-retouching", "background-removal-50", "old-photo-restoration",
     "photoshop-manipulation"),
)  # fmt: skip
COACHING = g(
    (D_CAREER, "singing-voice-coaching", "fitness-coaching", "life-coaching",
     "interview-coaching", "public-speaking-coaching", "chess-coaching",
     "study-skills-coaching", "leadership-coaching", "mindfulness-meditation-coaching"),
)  # fmt: skip
VOICEOVER = g(
    ("voiceover-british", "french-voiceover", "voice-over-spanish", "voice-over-german",
     D_VOICE, "elearning-narration"),
    ("character-voice-acting", "ivr-phone-greeting"),
)  # fmt: skip
EBOOK = g(("book-cover-design", "ebook-layout-design", "ghostwriting-ebook", "ebook-editing"))
PHOTOSHOOT = g(
    ("family-photoshoot", "fashion-photo-shoot"),
    ("pet-photography", "newborn-photography"),
)
AUDIO_CLEANUP = g(("audio-cleanup",), (D_PODCAST, "podcast-editing-express"))
CAFE = g(
    ("cafe-menu-design", "cafe-menu-translation", "cafe-business-plan", "cafe-interior-photography")
)
RESUME = g(("resume-writing", "resume-review-call", "cv-rewrite-career-change"))
ZURICH = g(
    ("zurich-corporate-headshots", "zurich-company-formation", "swiss-german-lessons-zurich")
)
COPYWRITING = g((D_WEBCOPY, "product-description-writing", "seo-landing-page-copy"))
MARKETING = category(
    "marketing",
    answers=("klaviyo-email-automation", "launch-marketing-plan", "pinterest-marketing",
             "influencer-outreach", "affiliate-program-setup", D_NEWSLETTER),
    **{"case-study-writing": 1, "looker-studio-reports": 1},
)  # fmt: skip
PHOTOGRAPHY = category(
    "photography",
    answers=(D_PRODUCT_PHOTO, "amazon-product-photography", "food-photography",
             "wedding-photography-lisbon", "drone-aerial-photography", "event-photography",
             "virtual-tour-360", "jewellery-photography", "pet-photography",
             "newborn-photography", "cafe-interior-photography", "architecture-photography"),
    **{"photography-lessons": 1},
)  # fmt: skip
# People looking for "a photographer" want a shoot, not an edit of photos they have.
PHOTOGRAPHER = g(
    ("wedding-photography-lisbon", "event-photography", D_PRODUCT_PHOTO,
     "amazon-product-photography", "food-photography", "family-photoshoot",
     "fashion-photo-shoot", "drone-aerial-photography", "pet-photography",
     "newborn-photography", "architecture-photography", "cafe-interior-photography",
     "zurich-corporate-headshots", "actor-headshots-london", "jewellery-photography"),
    ("custom-stock-photos", "virtual-tour-360"),
)  # fmt: skip

QUERIES: tuple[Query, ...] = (
    # --- single words -------------------------------------------------------------------
    Query("logo", "single_word", LOGO),
    Query("wordpress", "single_word", WORDPRESS),
    Query("podcast", "single_word", PODCAST),
    Query("django", "single_word", DJANGO),
    Query("python", "single_word", PYTHON),
    Query("seo", "single_word", g(
        ("seo-audit", "local-seo", "keyword-research", "link-building", "wordpress-onpage-seo"),
        ("amazon-listing-optimization", "youtube-seo", "seo-landing-page-copy", D_SEO_BLOG),
    )),
    Query("dashboard", "single_word", DASHBOARD),
    Query("excel", "single_word", EXCEL),
    Query("retouching", "single_word", RETOUCHING),
    Query("mastering", "single_word", g(("mixing-mastering", "mastering-only"), (D_PODCAST,))),
    Query("newsletter", "single_word", NEWSLETTER),
    Query("wedding", "single_word", g(
        ("wedding-photography-lisbon", "wedding-video-editing", "wedding-invitation-design",
         "wedding-speech-writing"),
    )),
    Query("instagram", "single_word", g(
        ("facebook-instagram-ads", "social-media-management", "instagram-growth-strategy",
         D_CAROUSEL),
        ("lightroom-presets",),
    )),
    Query("narration", "single_word", g(
        ("audiobook-narration", "elearning-narration", "voice-over-spanish", "french-voiceover",
         D_VOICE),
    )),
    Query("headshots", "single_word", HEADSHOTS),
    Query("bookkeeping", "single_word", BOOKKEEPING),
    Query("tutoring", "single_word", TUTORING),
    Query("subtitles", "single_word", SUBTITLES),
    Query("portrait", "single_word", g(
        ("portrait-illustration", "pet-portrait-watercolour", "portrait-retouching"),
        ("zurich-corporate-headshots", "actor-headshots-london"),
    )),
    Query("javascript", "single_word", JAVASCRIPT),
    Query("youtube", "single_word", g(
        (D_YOUTUBE, "youtube-script-writing", "youtube-seo", "youtube-intro-outro"),
        ("travel-vlog-editing", "social-banner-design", "logo-animation"),
    )),
    Query("german", "single_word", g(
        (D_GERMAN_TR, D_GERMAN_LESSONS, "voice-over-german", "swiss-german-lessons-zurich"),
    )),
    Query("spanish", "single_word", g(
        ("english-spanish-translation", "voice-over-spanish", "spanish-lessons-beginners"),
    )),
    Query("shopify", "single_word", SHOPIFY),
    Query("menu", "single_word", g(("cafe-menu-design", "cafe-menu-translation"), ("food-photography",))),
    Query("figma", "single_word", g(("ui-mobile-app-design", "landing-page-design-figma"), ("icon-set-design",))),
    Query("packaging", "single_word", g(("packaging-label-design",), ("naive-folk-illustration",))),
    Query("kindle", "single_word", g(("ebook-layout-design", "book-cover-design"))),
    # --- plurals and verb forms ----------------------------------------------------------
    Query("logos", "plural_verb_form", LOGO),
    Query("designing logos", "plural_verb_form", LOGO_DESIGN),
    Query("editing videos", "plural_verb_form", VIDEO_EDITING),
    Query("translating documents", "plural_verb_form", g(
        ("french-business-translation", D_GERMAN_TR, "english-spanish-translation"),
        ("japanese-game-localization", "subtitle-translation", "cafe-menu-translation"),
    )),
    Query("illustrations", "plural_verb_form", ILLUSTRATION),
    Query("fixing bugs", "plural_verb_form", g((D_BUGFIX, "javascript-bug-fix", "website-bug-fix-php"))),
    Query("edited photos", "plural_verb_form", PHOTO_EDITING),
    Query("podcasts", "plural_verb_form", PODCAST),
    Query("dashboards", "plural_verb_form", DASHBOARD),
    Query("spreadsheets", "plural_verb_form", g(
        (D_SPREADSHEETS, "excel-formulas-vba", "data-entry-pdf"),
    )),
    Query("animations", "plural_verb_form", ANIMATION),
    Query("headshot", "plural_verb_form", HEADSHOTS),
    Query("tutors", "plural_verb_form", TUTORING),
    Query("mixing songs", "plural_verb_form", g(("mixing-mastering",))),
    Query("writing articles", "plural_verb_form", g(
        ("blog-post-writing", D_SEO_BLOG, "tech-article-writing"),
        ("case-study-writing", "newsletter-writing", "press-release-writing"),
    )),
    Query("proofreader", "plural_verb_form", g((D_PROOF, "ebook-editing"))),
    Query("coaches", "plural_verb_form", COACHING),
    Query("translators", "plural_verb_form", TRANSLATION),
    Query("translated subtitles", "plural_verb_form", g(("subtitle-translation",), ("subtitles-captions",))),
    Query("managing social media", "plural_verb_form", g(
        ("social-media-management",),
        (D_CAROUSEL, "tiktok-strategy", "discord-community-management"),
    )),
    Query("maths tutor", "plural_verb_form", g(("math-tutoring",), ("sat-act-test-prep",))),
    Query("audits", "plural_verb_form", g(("seo-audit", "ux-audit-website", D_SPEED))),
    # --- two- and three-word needs -------------------------------------------------------
    Query("logo design", "multi_word", LOGO_DESIGN),
    Query("wordpress speed fix", "multi_word", WORDPRESS_SPEED),
    Query("wordpress theme install", "multi_word", g(("wordpress-theme-install",), ("woocommerce-store",))),
    Query("wordpress malware", "multi_word", g(("wordpress-malware-removal",), ("website-maintenance",))),
    Query("product photography", "multi_word", g(
        (D_PRODUCT_PHOTO, "amazon-product-photography", "jewellery-photography"),
        (D_RETOUCH, "background-removal-50"),
    )),
    Query("video editing", "multi_word", VIDEO_EDITING),
    Query("podcast editing", "multi_word", g(
        (D_PODCAST, "podcast-editing-express", "podcast-production"),
        ("podcast-video-clips",),
    )),
    Query("business plan", "multi_word", g(
        (D_BPLAN, "business-plan-writing", "cafe-business-plan"),
        ("financial-model", "pitch-deck-storyline"),
    )),
    Query("german translation", "multi_word", g((D_GERMAN_TR,), ("subtitle-translation",))),
    Query("language lessons", "multi_word", g(
        ("business-english-lessons", "spanish-lessons-beginners", D_GERMAN_LESSONS,
         "japanese-lessons-jlpt", "swiss-german-lessons-zurich"),
        ("french-exam-tutoring",),
    )),
    Query("seo audit", "multi_word", g(("seo-audit",), ("wordpress-onpage-seo", "local-seo"))),
    Query("mobile app", "multi_word", g(
        ("flutter-app", "ios-app", "android-app"),
        ("ui-mobile-app-design", "app-store-optimization"),
    )),
    Query("data cleaning", "multi_word", g((D_SPREADSHEETS, "crm-data-cleanup"))),
    Query("landing page", "multi_word", g(
        ("landing-page-design-figma", "landing-page-html", "seo-landing-page-copy"),
        ("conversion-rate-optimisation",),
    )),
    Query("email marketing", "multi_word", g(
        ("klaviyo-email-automation", D_NEWSLETTER, "email-campaign-copy"),
        ("cold-email-outreach", "newsletter-writing", "html-email-template"),
    )),
    Query("social media", "multi_word", g(
        (D_CAROUSEL, "social-media-management", "social-banner-design", "motion-graphics-social"),
        ("tiktok-strategy", "facebook-instagram-ads", "cafe-interior-photography",
         "2d-character-animation"),
    )),
    Query("pitch deck", "multi_word", g(("pitch-deck-storyline", "presentation-design"))),
    Query("book cover", "multi_word", g(("book-cover-design",))),
    Query("web scraping", "multi_word", g(("web-scraping-python",))),
    Query("google ads", "multi_word", g(("google-ads",), ("facebook-instagram-ads", "google-shopping-feed"))),
    Query("real estate photos", "multi_word", g(
        ("real-estate-photo-editing", "drone-aerial-photography"),
        ("virtual-tour-360", "real-estate-video"),
    )),
    Query("youtube video editing", "multi_word", g(
        (D_YOUTUBE, "travel-vlog-editing"),
        ("short-form-video-editing", "youtube-intro-outro", "corporate-video-editing",
         "music-video-editing"),
    )),
    Query("power bi dashboard", "multi_word", g(
        ("power-bi-dashboard",), ("tableau-dashboard", D_DASHBOARD, "excel-dashboard"),
    )),
    Query("machine learning model", "multi_word", g(
        ("machine-learning-model", "computer-vision-model"),
        ("sales-forecasting",),
    )),
    Query("tax return", "multi_word", g(("uk-tax-return",))),
    Query("wedding video", "multi_word", g(("wedding-video-editing",), ("wedding-photography-lisbon",))),
    Query("children's book illustration", "multi_word", g(
        (D_CHILDREN,),
        (D_EDITORIAL, "naive-folk-illustration", "portrait-illustration", "book-cover-design",
         "character-design"),
    )),
    Query("brand identity", "multi_word", g(("brand-identity-guide", D_LOGO))),
    Query("online store", "multi_word", g(("woocommerce-store", "shopify-store-setup"), ("etsy-shop-setup",))),
    Query("sound effects for games", "multi_word", g(("game-sound-effects",), ("ringtone-ui-sounds",))),
    Query("speed up my website", "multi_word", g(
        (D_SPEED, "wordpress-speed-fix", "shopify-speed"),
    )),
    Query("logo animation", "multi_word", g(("logo-animation",), ("youtube-intro-outro",))),
    Query("python data analysis", "multi_word", g(
        ("pandas-jupyter-analysis",),
        ("survey-data-analysis", "phd-research-analysis", "machine-learning-model",
         "statistics-spss-r"),
    )),
    Query("restaurant menu", "multi_word", g(("cafe-menu-design", "cafe-menu-translation", "food-photography"))),
    Query("cover letter", "multi_word", g(("cover-letter-writing",))),
    Query("voice lessons", "multi_word", g(("singing-voice-coaching",))),
    Query("video ads", "multi_word", g(("ugc-video-ads",), ("2d-character-animation", "facebook-instagram-ads"))),
    # --- category words ------------------------------------------------------------------
    Query("design", "category_word", category(
        "design",
        answers=("logo-minimal-wordmark", "business-card-design", "flyer-poster-design",
                 "packaging-label-design", "ui-mobile-app-design", "landing-page-design-figma",
                 "icon-set-design", "infographic-design", "book-cover-design",
                 "ebook-layout-design", "tshirt-design", "tattoo-design", "cafe-menu-design",
                 "presentation-design", "social-banner-design", "wedding-invitation-design",
                 "character-design"),
        **{"webflow-website": 1, "pinterest-marketing": 1},
    )),
    Query("development", "category_word", category(
        "development",
        answers=("wordpress-custom-plugin", "android-app", "chrome-extension"),
    )),
    Query("writing", "category_word", category(
        "writing",
        answers=("blog-post-writing", "tech-article-writing", "product-description-writing",
                 "resume-writing", "cover-letter-writing", "ghostwriting-ebook",
                 "press-release-writing", "wedding-speech-writing", "grant-proposal-writing",
                 "ux-writing-microcopy", "newsletter-writing", "youtube-script-writing",
                 "case-study-writing", "seo-landing-page-copy", D_SEO_BLOG),
        **{"business-plan-writing": 1},
    )),
    Query("translation", "category_word", TRANSLATION),
    Query("illustration", "category_word", ILLUSTRATION),
    Query("marketing", "category_word", MARKETING),
    Query("video", "category_word", category(
        "video",
        answers=(D_YOUTUBE, D_EXPLAINER, "whiteboard-explainer", "wedding-video-editing",
                 "corporate-video-editing", "short-form-video-editing", "podcast-video-clips",
                 "music-video-editing", "ugc-video-ads", "real-estate-video",
                 "photo-slideshow-video", "saas-product-demo-video", "lyric-video",
                 "online-course-video-editing", "3d-product-animation", "drone-footage-editing",
                 "colour-grading", "subtitles-captions"),
        **{"youtube-script-writing": 1, "voice-over-german": 1, "transcription-service": 1},
    )),
    Query("animation", "category_word", ANIMATION),
    Query("audio", "category_word", category(
        "audio",
        answers=("audio-cleanup", "game-sound-effects", D_PODCAST),
        **{"transcription-service": 1},
    )),
    Query("music", "category_word", g(
        ("podcast-intro-music", "meditation-music", "mixing-mastering", "hip-hop-beat-production",
         "film-score-composer", "jingle-composition", "orchestral-arrangement"),
        ("mastering-only", "female-vocals", "session-guitar", "karaoke-backing-track",
         "music-video-editing", "lyric-video", "guitar-lessons", "piano-lessons-adults"),
    )),
    Query("data", "category_word", category(
        "data",
        answers=("data-entry-pdf", "etl-airflow-pipeline", "survey-data-analysis",
                 "pandas-jupyter-analysis", "crm-data-cleanup", "d3-data-visualisation",
                 "phd-research-analysis", "power-bi-dashboard", "tableau-dashboard",
                 "lead-list-scraping", "looker-studio-reports", D_SPREADSHEETS, D_DASHBOARD),
        **{"web-scraping-python": 1},
    )),
    Query("analytics", "category_word", g(
        ("google-analytics-setup", "bigquery-ga4-sql"),
        ("pandas-jupyter-analysis", "survey-data-analysis", "sentiment-analysis",
         "statistics-spss-r", "phd-research-analysis", "ab-test-analysis", "power-bi-dashboard",
         "tableau-dashboard", D_DASHBOARD, "looker-studio-reports", "excel-dashboard"),
    )),
    Query("business", "category_word", category(
        "business",
        answers=(D_BPLAN, "business-plan-writing", "small-business-consulting",
                 "business-name-ideas", "cafe-business-plan"),
        **{"business-card-design": 1, "business-english-lessons": 1,
           "french-business-translation": 1, D_WEBCOPY: 1},
    )),
    Query("finance", "category_word", g(
        (D_BPLAN, "financial-model"),
        ("monthly-bookkeeping", "bookkeeping-catch-up", "year-end-accounts", "uk-tax-return",
         "payroll-setup", "invoicing-setup"),
    )),
    Query("photography", "category_word", PHOTOGRAPHY),
    Query("coaching", "category_word", COACHING),
    Query("lessons", "category_word", g(
        (D_GERMAN_LESSONS, "business-english-lessons", "spanish-lessons-beginners",
         "python-lessons", "guitar-lessons", "piano-lessons-adults", "singing-voice-coaching",
         "photography-lessons", "drawing-lessons", "japanese-lessons-jlpt",
         "swiss-german-lessons-zurich"),
        ("french-exam-tutoring", "math-tutoring", "sat-act-test-prep",
         "french-pastry-cooking-class", "private-yoga-classes"),
    )),
    # --- prefixes, as typed (the last word unfinished) ------------------------------------
    Query("djang", "prefix", DJANGO),
    Query("photog", "prefix", PHOTOGRAPHY),
    Query("illustr", "prefix", ILLUSTRATION),
    Query("wordp", "prefix", WORDPRESS),
    Query("transl", "prefix", TRANSLATION),
    Query("podc", "prefix", PODCAST),
    Query("dashb", "prefix", DASHBOARD),
    Query("bookk", "prefix", BOOKKEEPING),
    Query("retou", "prefix", RETOUCHING),
    Query("subtit", "prefix", SUBTITLES),
    Query("shopi", "prefix", SHOPIFY),
    Query("copywr", "prefix", COPYWRITING),
    Query("logo desi", "prefix", LOGO_DESIGN),
    Query("video edi", "prefix", VIDEO_EDITING),
    Query("german les", "prefix", g((D_GERMAN_LESSONS, "swiss-german-lessons-zurich"))),
    Query("web scrap", "prefix", g(("web-scraping-python",))),
    Query("voice ov", "prefix", VOICEOVER),
    Query("machine lear", "prefix", g(("machine-learning-model",), ("computer-vision-model",))),
    Query("excel form", "prefix", g(("excel-formulas-vba",), ("excel-dashboard",))),
    # --- typos: one edit in a word of 5+ letters ------------------------------------------
    Query("wordpres", "typo", WORDPRESS),
    Query("illustator", "typo", ILLUSTRATION),
    # Two edits by Levenshtein ("ph" typed as "f"), as people spell it; see README.md.
    Query("photografy", "typo", PHOTOGRAPHY),
    Query("shopfy", "typo", SHOPIFY),
    Query("javascrpt", "typo", JAVASCRIPT),
    Query("dashbord", "typo", DASHBOARD),
    Query("bookeeping", "typo", BOOKKEEPING),
    Query("resturant menu", "typo", g(("cafe-menu-design", "cafe-menu-translation", "food-photography"))),
    Query("pyhton", "typo", PYTHON),
    Query("logo desing", "typo", LOGO_DESIGN),
    Query("animaton", "typo", ANIMATION),
    Query("marketting", "typo", MARKETING),
    Query("excell", "typo", EXCEL),
    Query("newsleter", "typo", NEWSLETTER),
    Query("tranlsation", "typo", TRANSLATION),
    Query("retouchng", "typo", RETOUCHING),
    # --- compounds, hyphens and spacing ---------------------------------------------------
    Query("voiceover", "compound", VOICEOVER),
    Query("voice over", "compound", VOICEOVER),
    Query("voice-over", "compound", VOICEOVER),
    Query("ebook", "compound", EBOOK),
    Query("e-book", "compound", EBOOK),
    Query("photoshoot", "compound", PHOTOSHOOT),
    Query("photo shoot", "compound", PHOTOSHOOT),
    Query("tshirt design", "compound", g(("tshirt-design",), ("tshirt-mockups",))),
    Query("audio cleanup", "compound", AUDIO_CLEANUP),
    Query("clean up audio", "compound", AUDIO_CLEANUP),
    Query("elearning", "compound", g(
        ("elearning-narration", "online-course-video-editing"),
        ("voiceover-british", "french-voiceover", D_VOICE),
    )),
    Query("hiphop beats", "compound", g(("hip-hop-beat-production",))),
    Query("copy writing", "compound", COPYWRITING),
    Query("back links", "compound", g(("link-building",))),
    Query("e-commerce photos", "compound", g(
        ("background-removal-50", D_RETOUCH, "amazon-product-photography"),
        ("ghost-mannequin-editing", "fashion-photo-shoot"),
    )),
    # --- accents, either way --------------------------------------------------------------
    Query("cafe", "accent", CAFE),
    Query("café", "accent", CAFE),
    Query("resume", "accent", RESUME),
    Query("résumé", "accent", RESUME),
    Query("naive illustration", "accent", g(
        ("naive-folk-illustration",), (D_EDITORIAL, D_CHILDREN, "portrait-illustration"),
    )),
    Query("zurich", "accent", ZURICH),
    Query("Zürich headshots", "accent", g(
        ("zurich-corporate-headshots",), ("actor-headshots-london", "linkedin-headshot-retouch"),
    )),
    Query("cafe menu", "accent", g(("cafe-menu-design", "cafe-menu-translation"), ("food-photography",))),
    Query("eclairs", "accent", g(("french-pastry-cooking-class",))),
    # --- synonyms a small operator-edited list carries (README.md lists them) -------------
    Query("wp", "synonym", WORDPRESS),
    Query("wp speed", "synonym", WORDPRESS_SPEED),
    Query("js", "synonym", JAVASCRIPT),
    Query("cv", "synonym", RESUME),
    Query("sfx for games", "synonym", g(("game-sound-effects",), ("ringtone-ui-sounds",))),
    Query("color grading", "synonym", g(("colour-grading",), ("batch-photo-editing",))),
    Query("accountant", "synonym", g(
        ("monthly-bookkeeping", "bookkeeping-catch-up", "year-end-accounts"), ("payroll-setup",),
    )),
    Query("ml", "synonym", g(("machine-learning-model",), ("computer-vision-model",))),
    Query("jewelry photos", "synonym", g(("jewellery-photography",), ("amazon-product-photography",))),
    Query("photographer", "synonym", PHOTOGRAPHER),
    Query("localisation", "synonym", g(("japanese-game-localization", D_GERMAN_TR))),
    Query("optimization", "synonym", g(
        ("shopify-speed", "postgres-query-tuning", "conversion-rate-optimisation", "local-seo",
         "app-store-optimization", "amazon-listing-optimization"),
        ("wordpress-speed-fix", D_SPEED),
    )),
    Query("artificial intelligence", "synonym", g(("ai-chatbot-documents",))),
    # --- nonsense: must find nothing ------------------------------------------------------
    Query("qzxv", "nonsense", {}),
    Query("blorptangle", "nonsense", {}),
    Query("zzzzzz", "nonsense", {}),
    Query("xqjwvk", "nonsense", {}),
    Query("flurbington", "nonsense", {}),
    Query("snorklewax", "nonsense", {}),
    Query("vrtzqm", "nonsense", {}),
    Query("plimbusk", "nonsense", {}),
    Query("grobnakt", "nonsense", {}),
    Query("wexlyb qorpu", "nonsense", {}),
    Query("kkkkkkk", "nonsense", {}),
    Query("jhqfdsaq", "nonsense", {}),
)  # fmt: skip
