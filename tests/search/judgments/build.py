"""Writes catalog.json and queries.json of the judged query set (docs/search.md).

The catalog is the demo's projects (``demo:<slug>`` keys, loaded by ``demo_load``) plus the
projects below. Each query lists the projects a person typing it would expect among the
first ten results: grade 2 for what they came for, 1 for what is also relevant. Judgments
were written from the projects' meaning, not from what the engine returned. Run
``python tests/search/judgments/build.py`` after editing, and commit both outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.text import slugify

HERE = Path(__file__).resolve().parent

# The demo's published projects (its draft and paused ones cannot be found, so no
# judgment expects them).
DEMO_TITLES = {
    "D_LOGO": "A logo and compact brand kit for your small business",
    "D_EDITORIAL": "Custom editorial illustration for articles and newsletters",
    "D_CHILDREN": "Children's book illustration: three full-colour spreads",
    "D_RETOUCH": "Product photo retouching: ten images on a clean white background",
    "D_CAROUSEL": "Social media carousel templates you can edit in Canva",
    "D_DJANGO_API": "A Django REST API for your MVP, tested and documented",
    "D_DJANGO_BUG": "Fix a bug in your Python or Django application",
    "D_DASHBOARD": "An interactive dashboard in Streamlit or Metabase",
    "D_SPREADSHEETS": "Clean, merge and deduplicate messy spreadsheets",
    "D_SPEED": "Speed up a slow website: audit and fixes",
    "D_GERMAN_TR": "German to English translation, up to 2,000 words",
    "D_SEO_BLOG": "A researched SEO blog article of 1,500 words",
    "D_PROOF": "Proofreading and copy-editing for academic papers",
    "D_WEBCOPY": "Website copy for a five-page small business site",
    "D_BIZPLAN": "Business plan review with a financial sanity check",
    "D_GERMAN_LESSONS": "Conversational German lessons online: four one-hour sessions",
    "D_PODCAST": "Podcast editing and mixing, up to 60 minutes",
    "D_YOUTUBE": "YouTube video editing with captions and a thumbnail",
    "D_EXPLAINER": "A 60-second animated explainer video",
    "D_VOICE": "Professional American English voice-over",
    "D_LIFESTYLE_PHOTO": "Lifestyle product photography: fifteen edited shots",
    "D_MAILCHIMP": "Newsletter setup and your first campaign in Mailchimp",
    "D_CAREER": "Career coaching for creative freelancers: one session",
}


def demo_key(title: str) -> str:
    return "demo:" + slugify(title)[:40].rstrip("-")


ALIASES = {alias: demo_key(title) for alias, title in DEMO_TITLES.items()}

# key, category, title, tags, description, price (major units), delivery days
P = [
    # --- design
    (
        "logo-minimal",
        "design",
        "Minimalist logo design for startups",
        ["logo", "branding", "minimalist"],
        "A clean, modern logo with three concepts and vector files. Ideal for new companies.",
        120,
        4,
    ),
    (
        "logo-vintage",
        "design",
        "Vintage badge logo for breweries and barbershops",
        ["logo", "vintage", "badge"],
        "Hand-lettered retro badges with a textured finish, delivered as vector files.",
        200,
        5,
    ),
    (
        "logo-redesign",
        "design",
        "Refresh and redesign your existing logo",
        ["logo redesign", "rebrand"],
        "I modernise an outdated logo while keeping what customers recognise.",
        150,
        5,
    ),
    (
        "brand-guide",
        "design",
        "Brand style guide with colours and typography",
        ["brand identity", "style guide"],
        "A PDF guide to your brand: colour palette, fonts, logo usage and tone.",
        300,
        7,
    ),
    (
        "business-cards",
        "design",
        "Business card design, print-ready",
        ["business card", "print"],
        "Double-sided business cards delivered as print-ready PDF with bleed.",
        40,
        2,
    ),
    (
        "flyer",
        "design",
        "Event flyer and poster design",
        ["flyer", "poster", "print"],
        "Eye-catching flyers and posters for concerts, parties and shop events.",
        50,
        2,
    ),
    (
        "ui-app",
        "design",
        "Mobile app UI design in Figma",
        ["ui design", "figma", "mobile app"],
        "Screens for iOS and Android designed in Figma, with a clickable prototype.",
        600,
        10,
    ),
    (
        "ux-audit",
        "design",
        "UX audit of your website with a report",
        ["ux", "usability", "user experience"],
        "I review your site's user experience and send a prioritised list of improvements.",
        250,
        5,
    ),
    (
        "portrait-illustration",
        "design",
        "Digital portrait illustration from your photo",
        ["illustration", "portrait", "digital art"],
        "As an illustrator I paint a warm digital portrait of you, your family or your pet.",
        90,
        5,
    ),
    (
        "map-illustration",
        "design",
        "Illustrated map for your town or event",
        ["illustration", "map"],
        "A hand-drawn illustrated map for festivals, weddings, hotels and tourism boards.",
        400,
        10,
    ),
    (
        "packaging-label",
        "design",
        "Packaging and label design for food products",
        ["packaging", "label design"],
        "Labels and boxes for jams, coffee, sauces and snacks, ready for the printer.",
        350,
        8,
    ),
    (
        "ebook-cover",
        "design",
        "E-book cover design for Kindle",
        ["ebook cover", "kindle", "book cover"],
        "Eye-catching e-book covers that stand out as thumbnails on Amazon.",
        80,
        3,
    ),
    (
        "print-book-cover",
        "design",
        "Print book cover with spine and back",
        ["book cover", "paperback"],
        "Full wrap covers for paperbacks and hardcovers, sized for your printer.",
        180,
        5,
    ),
    (
        "tshirt",
        "design",
        "T-shirt design for your merch",
        ["t-shirt", "merch", "apparel"],
        "Bold t-shirt graphics for bands, events and clothing brands.",
        60,
        3,
    ),
    (
        "icon-set",
        "design",
        "Custom icon set for apps and websites",
        ["icons", "svg", "ui design"],
        "A consistent set of 20 line icons delivered as SVG.",
        220,
        6,
    ),
    (
        "infographic",
        "design",
        "Infographic design from your data",
        ["infographic", "data visualisation"],
        "I turn your figures into a clear, shareable infographic.",
        160,
        5,
    ),
    (
        "cafe-menu",
        "design",
        "Café menu design and illustration",
        ["menu", "café", "restaurant"],
        "Menus for cafés, bakeries and restaurants, illustrated by hand.",
        140,
        5,
    ),
    # --- development
    (
        "wp-speed",
        "development",
        "WordPress speed optimization: fix slow loading",
        ["wordpress", "speed", "performance"],
        "I fix slow WordPress sites: caching, image compression and Core Web Vitals.",
        150,
        3,
    ),
    (
        "wp-theme",
        "development",
        "WordPress theme installation and setup",
        ["wordpress", "theme"],
        "I install your WordPress theme, import the demo content and set up the menus.",
        80,
        2,
    ),
    (
        "wp-errors",
        "development",
        "Fix WordPress errors and plugin conflicts",
        ["wordpress", "bug fix", "plugins"],
        "White screen, broken plugins or a hacked site: I find and fix the problem.",
        60,
        1,
    ),
    (
        "woocommerce",
        "development",
        "WooCommerce online store setup",
        ["woocommerce", "ecommerce", "wordpress"],
        "A complete online shop on WordPress with payments, shipping and taxes.",
        500,
        10,
    ),
    (
        "shopify",
        "development",
        "Shopify store setup and theme customization",
        ["shopify", "e-commerce", "online store"],
        "I build your Shopify store, customise the theme and add your products.",
        450,
        8,
    ),
    (
        "django-app",
        "development",
        "Custom Django web application",
        ["django", "python", "web app"],
        "A web application built with Django and PostgreSQL, with tests and deployment.",
        2000,
        21,
    ),
    (
        "django-upgrade",
        "development",
        "Upgrade your Django project to the latest version",
        ["django", "upgrade", "python"],
        "I upgrade old Django projects step by step, fixing deprecations on the way.",
        400,
        5,
    ),
    (
        "react-frontend",
        "development",
        "React front-end development with TypeScript",
        ["react", "javascript", "typescript"],
        "Fast, accessible React components and pages built to your design.",
        800,
        10,
    ),
    (
        "js-bugs",
        "development",
        "Fix JavaScript bugs in your website",
        ["javascript", "bug fix", "frontend"],
        "Broken forms, sliders or menus: I debug and fix your JavaScript.",
        50,
        1,
    ),
    (
        "node-api",
        "development",
        "Node.js REST API development",
        ["nodejs", "api", "javascript"],
        "A documented REST API in Node.js with Express and a database.",
        900,
        14,
    ),
    (
        "landing-page",
        "development",
        "Responsive landing page in HTML and CSS",
        ["landing page", "html", "css"],
        "A fast, responsive landing page coded by hand from your design.",
        200,
        4,
    ),
    (
        "chrome-extension",
        "development",
        "Chrome extension development",
        ["chrome extension", "browser", "javascript"],
        "A browser extension for Chrome that automates your workflow.",
        600,
        10,
    ),
    (
        "python-script",
        "development",
        "Python automation script for repetitive tasks",
        ["python", "automation", "script"],
        "I write Python scripts that rename files, fill forms or move data for you.",
        100,
        3,
    ),
    (
        "scraper",
        "development",
        "Web scraping with Python: data from any website",
        ["web scraping", "scraper", "python"],
        "I extract product, price or contact data from websites into CSV or Excel.",
        120,
        3,
    ),
    (
        "ios-app",
        "development",
        "iPhone app development with Swift",
        ["ios", "swift", "mobile app"],
        "Native iOS apps in Swift and SwiftUI, from prototype to the App Store.",
        3000,
        30,
    ),
    (
        "android-app",
        "development",
        "Android app development in Kotlin",
        ["android", "kotlin", "mobile app"],
        "Native Android apps in Kotlin, published on Google Play.",
        2800,
        30,
    ),
    (
        "db-tuning",
        "development",
        "PostgreSQL query optimization and indexing",
        ["postgresql", "database", "performance"],
        "Slow queries? I analyse your database and add the right indexes.",
        300,
        3,
    ),
    (
        "site-migration",
        "development",
        "Website migration to a new host with no downtime",
        ["migration", "hosting"],
        "I move your website and email to a new host without losing anything.",
        150,
        2,
    ),
    # --- writing
    (
        "seo-blog-posts",
        "writing",
        "SEO blog posts for your business",
        ["blog writing", "seo", "articles"],
        "Well-researched blog posts optimised for search engines, 1,000 words each.",
        90,
        4,
    ),
    (
        "sales-copy",
        "writing",
        "Sales page copywriting that converts",
        ["copywriting", "sales page"],
        "Persuasive sales copy for landing pages and product launches.",
        400,
        7,
    ),
    (
        "product-descriptions",
        "writing",
        "Product descriptions for online shops",
        ["product descriptions", "ecommerce", "copywriting"],
        "Twenty product descriptions that sell, written for your shop's voice.",
        100,
        4,
    ),
    (
        "ghostwriting-ebook",
        "writing",
        "Ghostwriting your non-fiction ebook",
        ["ghostwriting", "ebook"],
        "I write your e-book from interviews and notes: 10,000 words, two drafts.",
        1500,
        30,
    ),
    (
        "resume",
        "writing",
        "Professional résumé and cover letter writing",
        ["résumé", "cv", "cover letter"],
        "A résumé that gets interviews, plus a cover letter for your target job.",
        90,
        3,
    ),
    (
        "linkedin",
        "writing",
        "LinkedIn profile writing",
        ["linkedin", "personal branding"],
        "A LinkedIn headline, summary and experience section that recruiters read.",
        70,
        3,
    ),
    (
        "translation-fr",
        "writing",
        "French to English translation",
        ["translation", "french", "english"],
        "Accurate French to English translation of documents and websites.",
        60,
        2,
    ),
    (
        "translation-es",
        "writing",
        "Spanish translation of websites and apps",
        ["translation", "spanish", "localization"],
        "English to Spanish translation and localization by a native speaker.",
        80,
        3,
    ),
    (
        "translation-de",
        "writing",
        "English to German translation by a native speaker",
        ["translation", "german"],
        "Natural German translations of marketing texts, manuals and apps.",
        70,
        3,
    ),
    (
        "proofreading-novel",
        "writing",
        "Proofreading and editing for novels",
        ["proofreading", "editing", "fiction"],
        "Line editing and proofreading for fiction manuscripts up to 80,000 words.",
        500,
        14,
    ),
    (
        "tech-docs",
        "writing",
        "Technical documentation and API docs",
        ["technical writing", "documentation"],
        "Clear user guides and API reference documentation for software products.",
        600,
        10,
    ),
    (
        "grant-writing",
        "writing",
        "Grant proposal writing for nonprofits",
        ["grant writing", "nonprofit"],
        "Compelling grant proposals for charities and community projects.",
        450,
        10,
    ),
    (
        "press-release",
        "writing",
        "Press release writing",
        ["press release", "public relations"],
        "A newsworthy press release for your launch, ready to send to journalists.",
        120,
        3,
    ),
    (
        "transcription",
        "writing",
        "Audio transcription in English, 24-hour turnaround",
        ["transcription", "audio to text"],
        "Accurate transcripts of interviews, meetings and podcasts.",
        40,
        1,
    ),
    (
        "travel-zurich",
        "writing",
        "Travel guide writing about Zürich and the Alps",
        ["travel writing", "switzerland"],
        "Destination articles about Zürich, Lucerne and the Swiss Alps for travel sites.",
        150,
        5,
    ),
    # --- marketing
    (
        "seo-audit",
        "marketing",
        "Technical SEO audit for your website",
        ["seo audit", "technical seo"],
        "A full technical SEO audit: crawl errors, speed, indexing and a fix list.",
        180,
        4,
    ),
    (
        "local-seo",
        "marketing",
        "Local SEO and Google Business Profile setup",
        ["local seo", "google business profile"],
        "Rank in local search and on Google Maps for your shop or practice.",
        150,
        5,
    ),
    (
        "keyword-research",
        "marketing",
        "Keyword research and content plan",
        ["keyword research", "seo", "content strategy"],
        "The keywords your customers search for, grouped into a three-month content plan.",
        130,
        4,
    ),
    (
        "google-ads",
        "marketing",
        "Google Ads campaign setup and management",
        ["google ads", "ppc", "sem"],
        "Search campaigns built and managed to lower your cost per lead.",
        350,
        7,
    ),
    (
        "facebook-ads",
        "marketing",
        "Facebook and Instagram ads management",
        ["facebook ads", "instagram ads", "paid social"],
        "Ad campaigns on Facebook and Instagram with weekly reports.",
        400,
        7,
    ),
    (
        "social-media-mgmt",
        "marketing",
        "Social media management for small businesses",
        ["social media", "instagram", "content calendar"],
        "I plan, write and schedule a month of posts for your social media accounts.",
        300,
        30,
    ),
    (
        "email-klaviyo",
        "marketing",
        "Email marketing automation in Klaviyo",
        ["email marketing", "klaviyo", "automation"],
        "Welcome, abandoned cart and win-back email flows for online shops.",
        450,
        10,
    ),
    (
        "influencer",
        "marketing",
        "Influencer outreach campaign",
        ["influencer marketing", "outreach"],
        "I find and contact influencers who fit your brand and negotiate the posts.",
        500,
        14,
    ),
    (
        "link-building",
        "marketing",
        "Link building outreach for SEO",
        ["link building", "backlinks", "seo"],
        "High-quality backlinks from relevant sites through manual outreach.",
        300,
        14,
    ),
    (
        "tiktok-strategy",
        "marketing",
        "TikTok marketing strategy and content plan",
        ["tiktok", "social media", "short-form video"],
        "A TikTok strategy with 30 video ideas tailored to your audience.",
        200,
        5,
    ),
    # --- video
    (
        "youtube-editing",
        "video",
        "YouTube video editing for creators",
        ["video editing", "youtube"],
        "Engaging edits for vlogs and tutorials: cuts, music, zooms and titles.",
        100,
        3,
    ),
    (
        "corporate-video",
        "video",
        "Corporate video editing and color grading",
        ["video editing", "color grading", "corporate"],
        "Polished edits of interviews and company films with professional colour grading.",
        400,
        7,
    ),
    (
        "wedding-video",
        "video",
        "Wedding video editing: cinematic highlight film",
        ["wedding", "video editing", "cinematic"],
        "A cinematic wedding film edited from your footage, with licensed music.",
        350,
        10,
    ),
    (
        "explainer-2d",
        "video",
        "2D animated explainer video",
        ["explainer video", "animation", "2d animation"],
        "A 90-second animated explainer with script, voice and motion graphics.",
        900,
        14,
    ),
    (
        "whiteboard",
        "video",
        "Whiteboard animation video",
        ["whiteboard animation", "explainer"],
        "Hand-drawn whiteboard animations that explain your product simply.",
        300,
        7,
    ),
    (
        "subtitles",
        "video",
        "Subtitles and captions for your videos",
        ["subtitles", "captions", "srt"],
        "Accurate subtitles burned in or as SRT files, in English and Spanish.",
        30,
        2,
    ),
    (
        "reels",
        "video",
        "Instagram Reels and TikTok video editing",
        ["reels", "tiktok", "short-form video"],
        "Snappy vertical videos with captions and trending sounds.",
        60,
        2,
    ),
    (
        "drone-video",
        "video",
        "Drone video editing for real estate",
        ["drone", "real estate", "video editing"],
        "Aerial property videos edited with music, titles and smooth transitions.",
        200,
        4,
    ),
    (
        "logo-animation",
        "video",
        "Logo animation for YouTube intros",
        ["logo animation", "intro", "motion graphics"],
        "I animate your existing logo into a five-second intro with sound.",
        70,
        3,
    ),
    (
        "3d-product",
        "video",
        "3D product animation",
        ["3d animation", "product video", "blender"],
        "Photorealistic 3D animations of your product made in Blender.",
        1200,
        14,
    ),
    # --- audio
    (
        "voiceover-uk",
        "audio",
        "British English voiceover for ads and e-learning",
        ["voiceover", "british accent"],
        "A warm British voiceover recorded in a studio, delivered within a day.",
        80,
        1,
    ),
    (
        "voice-over-es",
        "audio",
        "Spanish voice over for videos",
        ["voice over", "spanish"],
        "Native Spanish voice over for commercials, explainers and apps.",
        70,
        2,
    ),
    (
        "audiobook",
        "audio",
        "Audiobook narration",
        ["audiobook", "narration"],
        "Audiobook narration and production to ACX standards.",
        1500,
        30,
    ),
    (
        "podcast-cleanup",
        "audio",
        "Podcast editing with noise removal",
        ["podcast editing", "audio cleanup"],
        "I remove noise, ums and long pauses and level your podcast episodes.",
        50,
        2,
    ),
    (
        "mixing-mastering",
        "audio",
        "Mixing and mastering for your song",
        ["mixing", "mastering", "music production"],
        "Radio-ready mixing and mastering for rock, pop and hip hop tracks.",
        150,
        5,
    ),
    (
        "jingle",
        "audio",
        "Custom jingle for your brand or podcast",
        ["jingle", "music"],
        "A catchy 15-second jingle composed and produced for your brand.",
        250,
        7,
    ),
    (
        "beats",
        "audio",
        "Hip hop beat production",
        ["beats", "hip hop", "music production"],
        "Exclusive hip hop and trap beats with stems.",
        120,
        4,
    ),
    (
        "sound-design",
        "audio",
        "Sound design for games and apps",
        ["sound design", "sound effects", "games"],
        "Custom sound effects and UI sounds for mobile games and apps.",
        300,
        7,
    ),
    # --- data
    (
        "excel-dashboard",
        "data",
        "Excel dashboard with pivot tables",
        ["excel", "dashboard", "pivot tables"],
        "An interactive Excel dashboard with charts, slicers and pivot tables.",
        150,
        4,
    ),
    (
        "power-bi",
        "data",
        "Power BI report and dashboard",
        ["power bi", "dashboard", "business intelligence"],
        "Power BI reports connected to your data, refreshed automatically.",
        400,
        7,
    ),
    (
        "data-entry",
        "data",
        "Data entry and copy-paste work",
        ["data entry", "excel"],
        "Fast and accurate data entry from PDFs, images or websites into spreadsheets.",
        30,
        2,
    ),
    (
        "pandas-analysis",
        "data",
        "Data analysis in Python with pandas",
        ["data analysis", "pandas", "python"],
        "I clean, analyse and chart your data in a Jupyter notebook.",
        200,
        5,
    ),
    (
        "ml-model",
        "data",
        "Machine learning model for your data",
        ["machine learning", "ai", "prediction"],
        "A trained and evaluated machine learning model that predicts what matters to you.",
        1200,
        14,
    ),
    (
        "sql-reports",
        "data",
        "SQL queries and reports",
        ["sql", "reports", "database"],
        "I write SQL queries and scheduled reports for MySQL or PostgreSQL.",
        100,
        3,
    ),
    (
        "survey-analysis",
        "data",
        "Survey data analysis with SPSS",
        ["survey", "statistics", "spss"],
        "Statistical analysis of survey results with tables and a written summary.",
        250,
        5,
    ),
    (
        "ai-chatbot",
        "data",
        "AI chatbot with ChatGPT for your website",
        ["chatbot", "ai", "openai"],
        "A chatbot that answers your customers from your own documents.",
        700,
        10,
    ),
    (
        "sheets-automation",
        "data",
        "Google Sheets automation with Apps Script",
        ["google sheets", "apps script", "automation"],
        "Scripts that fill, sort and email your Google Sheets automatically.",
        120,
        3,
    ),
    # --- business
    (
        "business-plan",
        "business",
        "Business plan writing for investors",
        ["business plan", "investors", "startup"],
        "An investor-ready business plan with market analysis and financial projections.",
        800,
        14,
    ),
    (
        "financial-model",
        "business",
        "Financial model and projections in Excel",
        ["financial model", "forecast", "excel"],
        "A three-statement financial model with scenarios for fundraising.",
        600,
        10,
    ),
    (
        "quickbooks",
        "business",
        "Monthly bookkeeping in QuickBooks",
        ["bookkeeping", "quickbooks", "accounting"],
        "Bank reconciliation and monthly reports for small businesses.",
        200,
        5,
    ),
    (
        "market-research",
        "business",
        "Market research report for your industry",
        ["market research", "competitor analysis"],
        "A report on your market size, trends and competitors.",
        500,
        10,
    ),
    (
        "pitch-deck",
        "business",
        "Investor pitch deck design",
        ["pitch deck", "presentation", "investors"],
        "A persuasive 12-slide pitch deck designed in PowerPoint or Keynote.",
        350,
        5,
    ),
    (
        "virtual-assistant",
        "business",
        "Virtual assistant for email and calendar",
        ["virtual assistant", "admin support"],
        "I manage your inbox, calendar and travel bookings, ten hours a week.",
        200,
        7,
    ),
    (
        "tax-return",
        "business",
        "Tax return preparation for freelancers",
        ["tax", "accounting", "freelancers"],
        "Your self-assessment tax return prepared and filed on time.",
        250,
        7,
    ),
    (
        "contract-review",
        "business",
        "Contract review by a business lawyer",
        ["legal", "contract review"],
        "A lawyer reviews your contract and flags risky clauses.",
        300,
        3,
    ),
    # --- photography
    (
        "product-photo-white",
        "photography",
        "Product photography on a white background",
        ["product photography", "ecommerce", "amazon"],
        "Studio photos of your products on pure white, ready for Amazon listings.",
        150,
        5,
    ),
    (
        "skin-retouch",
        "photography",
        "Photo retouching and skin editing",
        ["photo retouching", "photoshop", "portrait"],
        "Natural skin retouching for portraits, fashion and beauty photos.",
        40,
        2,
    ),
    (
        "background-removal",
        "photography",
        "Background removal for product images",
        ["background removal", "photoshop", "ecommerce"],
        "Clean cut-outs of up to 50 product images with transparent or white backgrounds.",
        30,
        1,
    ),
    (
        "photo-restoration",
        "photography",
        "Old photo restoration and colorization",
        ["photo restoration", "colorization"],
        "I repair scratched, faded family photos and bring them back in colour.",
        35,
        2,
    ),
    (
        "real-estate-editing",
        "photography",
        "Real estate photo editing: HDR and sky replacement",
        ["real estate", "photo editing", "hdr"],
        "Bright, straight interiors and blue skies for property listings.",
        60,
        2,
    ),
    (
        "headshots",
        "photography",
        "Professional headshot photoshoot in Berlin",
        ["headshots", "photoshoot", "portrait"],
        "A one-hour photo shoot in my studio with ten retouched headshots.",
        250,
        5,
    ),
    (
        "food-photo",
        "photography",
        "Food photography for restaurant menus",
        ["food photography", "restaurant", "menu"],
        "Appetising photos of your dishes for menus, delivery apps and social media.",
        400,
        7,
    ),
    (
        "wedding-photos",
        "photography",
        "Wedding photo editing and album design",
        ["wedding", "photo editing", "album"],
        "Consistent colour editing of your wedding photos and a printed album layout.",
        300,
        14,
    ),
    # --- lessons and coaching
    (
        "spanish-lessons",
        "lifestyle",
        "Spanish lessons for beginners online",
        ["spanish lessons", "language", "tutoring"],
        "Friendly Spanish lessons over video for complete beginners.",
        25,
        7,
    ),
    (
        "english-tutor",
        "lifestyle",
        "English conversation tutoring",
        ["english lessons", "tutoring", "esl"],
        "Practise speaking English with a patient native tutor.",
        20,
        7,
    ),
    (
        "math-tutor",
        "lifestyle",
        "Math tutoring for high school students",
        ["math", "tutoring", "exam preparation"],
        "Algebra, geometry and calculus explained step by step before exams.",
        30,
        7,
    ),
    (
        "guitar",
        "lifestyle",
        "Online guitar lessons for beginners",
        ["guitar", "music lessons"],
        "Learn chords, rhythm and your first songs on the guitar.",
        30,
        7,
    ),
    (
        "fitness-plan",
        "lifestyle",
        "Personalised fitness and workout plan",
        ["fitness", "workout", "personal trainer"],
        "A 12-week workout plan built around your goals and equipment.",
        60,
        3,
    ),
    (
        "meal-plan",
        "lifestyle",
        "Meal plan by a registered nutritionist",
        ["nutrition", "meal plan", "diet"],
        "A four-week meal plan with recipes and a shopping list.",
        80,
        5,
    ),
    (
        "interview-coach",
        "lifestyle",
        "Career coaching and job interview preparation",
        ["career coaching", "interview", "job search"],
        "Mock interviews and feedback so you walk into your next interview ready.",
        100,
        3,
    ),
    (
        "yoga",
        "lifestyle",
        "Private online yoga classes",
        ["yoga", "wellness"],
        "One-to-one yoga sessions over video for all levels.",
        35,
        7,
    ),
]

CATALOG = [
    {
        "key": k,
        "category": c,
        "title": t,
        "tags": tags,
        "description": d,
        "price": price,
        "delivery_days": days,
    }
    for (k, c, t, tags, d, price, days) in P
]

# q, kind, {key or alias: grade}
Q: list[tuple[str, str, dict[str, int]]] = []


def q(text: str, kind: str, expected: dict[str, int] | None = None, **graded: int) -> None:
    Q.append((text, kind, {**(expected or {}), **graded}))


def g(*keys: str, grade: int = 2) -> dict[str, int]:
    return {k: grade for k in keys}


LOGOS = g("logo-minimal", "logo-vintage", "logo-redesign", "D_LOGO")
WORDPRESS = g("wp-speed", "wp-theme", "wp-errors", "woocommerce")
TRANSLATIONS = g("translation-fr", "translation-es", "translation-de", "D_GERMAN_TR")
VOICE = g("voiceover-uk", "voice-over-es", "D_VOICE")
ILLUSTRATION = g("portrait-illustration", "map-illustration", "D_EDITORIAL", "D_CHILDREN")
VIDEO_EDITING = g("youtube-editing", "corporate-video", "wedding-video", "drone-video", "D_YOUTUBE")
PROOF = g("proofreading-novel", "D_PROOF")
PODCASTS = g("podcast-cleanup", "D_PODCAST")
DASHBOARDS = g("excel-dashboard", "power-bi", "D_DASHBOARD")
PRODUCT_PHOTOS = g("product-photo-white", "D_RETOUCH", "D_LIFESTYLE_PHOTO", "background-removal")
SEO = g(
    "seo-audit", "local-seo", "keyword-research", "link-building", "seo-blog-posts", "D_SEO_BLOG"
)
EBOOK = g("ebook-cover", "ghostwriting-ebook")
DJANGO = g("django-app", "django-upgrade", "D_DJANGO_API", "D_DJANGO_BUG")
PYTHON = g("python-script", "scraper", "django-app", "pandas-analysis", "D_DJANGO_BUG")
PHOTOGRAPHY = g("product-photo-white", "headshots", "food-photo", "D_LIFESTYLE_PHOTO")

# --- single words (a person expects the projects about that thing)
q("logo", "single_word", LOGOS, **{"logo-animation": 1, "brand-guide": 1})
q("wordpress", "single_word", WORDPRESS, D_SPEED=1)
q("translation", "single_word", TRANSLATIONS)
q("django", "single_word", DJANGO)
q("podcast", "single_word", PODCASTS, jingle=1)
q("shopify", "single_word", g("shopify"))
q("bookkeeping", "single_word", g("quickbooks"))
q("jingle", "single_word", g("jingle"))
q("yoga", "single_word", g("yoga"))
q("guitar", "single_word", g("guitar"))
q("subtitles", "single_word", g("subtitles"), D_YOUTUBE=1)
q("audiobook", "single_word", g("audiobook"))
q("infographic", "single_word", g("infographic"))
q("kotlin", "single_word", g("android-app"))
q("swift", "single_word", g("ios-app"))
q("mailchimp", "single_word", g("D_MAILCHIMP"))
q("klaviyo", "single_word", g("email-klaviyo"))
q("whiteboard", "single_word", g("whiteboard"))
q("headshots", "single_word", g("headshots"))
q("proofreading", "single_word", PROOF)
q("transcription", "single_word", g("transcription"))
q("chatbot", "single_word", g("ai-chatbot"))
q("wedding", "single_word", g("wedding-video", "wedding-photos"))
q("packaging", "single_word", g("packaging-label"))
q("linkedin", "single_word", g("linkedin"))
q("tiktok", "single_word", g("tiktok-strategy", "reels"))
q("drone", "single_word", g("drone-video"))
q("scraping", "single_word", g("scraper"))
q("dashboard", "single_word", DASHBOARDS)
q("fitness", "single_word", g("fitness-plan"))
# --- plurals and verb forms
q("logos", "plural_verb_form", LOGOS, **{"logo-animation": 1})
q("translations", "plural_verb_form", TRANSLATIONS)
q("translating", "plural_verb_form", TRANSLATIONS)
q("editing videos", "plural_verb_form", VIDEO_EDITING)
q(
    "edited photos",
    "plural_verb_form",
    g("real-estate-editing", "wedding-photos", "D_LIFESTYLE_PHOTO"),
    **{"skin-retouch": 1},
)
q("illustrations", "plural_verb_form", ILLUSTRATION, **{"cafe-menu": 1})
q("podcasts", "plural_verb_form", PODCASTS)
q("mixing songs", "plural_verb_form", g("mixing-mastering"), D_PODCAST=1)
q("designing logos", "plural_verb_form", LOGOS)
q("proofread", "plural_verb_form", PROOF, D_GERMAN_TR=1)
q("dashboards", "plural_verb_form", DASHBOARDS)
q("scrapers", "plural_verb_form", g("scraper"))
q(
    "animated videos",
    "plural_verb_form",
    g("explainer-2d", "whiteboard", "D_EXPLAINER", "3d-product"),
    **{"logo-animation": 1},
)
q("bugs", "plural_verb_form", g("js-bugs", "wp-errors", "D_DJANGO_BUG"))
q("optimizing", "plural_verb_form", g("wp-speed", "db-tuning"))
q(
    "lessons",
    "plural_verb_form",
    g("spanish-lessons", "guitar", "D_GERMAN_LESSONS", "english-tutor"),
)
# --- two- and three-word needs
q("logo design", "multi_word", LOGOS, **{"brand-guide": 1})
q("wordpress speed fix", "multi_word", g("wp-speed", "D_SPEED"), **{"wp-errors": 1})
q("slow website", "multi_word", g("wp-speed", "D_SPEED"))
q(
    "french translation",
    "multi_word",
    g("translation-fr"),
    **{"translation-es": 1, "translation-de": 1, "D_GERMAN_TR": 1},
)
q("german translation", "multi_word", g("translation-de", "D_GERMAN_TR"), **{"D_GERMAN_LESSONS": 1})
q(
    "spanish lessons",
    "multi_word",
    g("spanish-lessons"),
    **{"english-tutor": 1, "D_GERMAN_LESSONS": 1},
)
q("video editing", "multi_word", VIDEO_EDITING, **{"reels": 1})
q("wedding video", "multi_word", g("wedding-video"), **{"wedding-photos": 1})
q("product photography", "multi_word", PRODUCT_PHOTOS)
q("business plan", "multi_word", g("business-plan", "D_BIZPLAN"))
q("mobile app", "multi_word", g("ios-app", "android-app", "ui-app"))
q("android app", "multi_word", g("android-app"), **{"ios-app": 1})
q("book cover", "multi_word", g("ebook-cover", "print-book-cover"))
q("email marketing", "multi_word", g("email-klaviyo", "D_MAILCHIMP"))
q(
    "social media",
    "multi_word",
    g("social-media-mgmt", "D_CAROUSEL", "tiktok-strategy"),
    **{"facebook-ads": 1},
)
q("instagram ads", "multi_word", g("facebook-ads"))
q("google ads campaign", "multi_word", g("google-ads"))
q("seo audit", "multi_word", g("seo-audit"), **{"D_SPEED": 1, "local-seo": 1})
q("machine learning", "multi_word", g("ml-model"))
q("data entry", "multi_word", g("data-entry"))
q("excel dashboard", "multi_word", g("excel-dashboard"), **{"power-bi": 1, "D_DASHBOARD": 1})
q("python script", "multi_word", g("python-script"), **{"scraper": 1})
q("react developer", "multi_word", g("react-frontend"))
q("javascript bug fix", "multi_word", g("js-bugs"), **{"wp-errors": 1, "D_DJANGO_BUG": 1})
q("fix django bug", "multi_word", g("D_DJANGO_BUG"), **{"django-upgrade": 1, "django-app": 1})
q("online store", "multi_word", g("woocommerce", "shopify"))
q("landing page", "multi_word", g("landing-page"), **{"sales-copy": 1})
q("pitch deck", "multi_word", g("pitch-deck"))
q("financial projections", "multi_word", g("financial-model", "business-plan"))
q("tax return", "multi_word", g("tax-return"))
q("job interview coaching", "multi_word", g("interview-coach"), **{"D_CAREER": 1})
q("career coach", "multi_word", g("interview-coach", "D_CAREER"))
q("meal plan", "multi_word", g("meal-plan"))
q("photo restoration", "multi_word", g("photo-restoration"))
q(
    "background removal",
    "multi_word",
    g("background-removal"),
    **{"D_RETOUCH": 1, "product-photo-white": 1},
)
q("real estate photos", "multi_word", g("real-estate-editing"), **{"drone-video": 1})
q("sound effects for games", "multi_word", g("sound-design"))
q("brand identity", "multi_word", g("brand-guide", "D_LOGO"), **{"logo-minimal": 1})
q("t-shirt design", "multi_word", g("tshirt"))
q(
    "children's book illustration",
    "multi_word",
    g("D_CHILDREN"),
    **{"ebook-cover": 1, "print-book-cover": 1},
)
q("explainer video", "multi_word", g("explainer-2d", "D_EXPLAINER", "whiteboard"))
q("podcast editing", "multi_word", PODCASTS)
q("press release", "multi_word", g("press-release"))
q("grant proposal", "multi_word", g("grant-writing"))
q("api documentation", "multi_word", g("tech-docs"), **{"D_DJANGO_API": 1, "node-api": 1})
q("rest api", "multi_word", g("D_DJANGO_API", "node-api"))
q("database performance", "multi_word", g("db-tuning"))
q("ui design figma", "multi_word", g("ui-app"), **{"icon-set": 1})
q("hip hop beats", "multi_word", g("beats"))
q("math tutor", "multi_word", g("math-tutor"), **{"english-tutor": 1})
# --- category words (a category's name finds its projects)
q("photography", "category_word", PHOTOGRAPHY, **{"D_RETOUCH": 1, "skin-retouch": 1})
q(
    "marketing",
    "category_word",
    g(
        "google-ads",
        "facebook-ads",
        "social-media-mgmt",
        "email-klaviyo",
        "influencer",
        "D_MAILCHIMP",
    ),
)
q("music", "category_word", g("mixing-mastering", "jingle", "beats"), **{"guitar": 1})
q("audio", "category_word", g("podcast-cleanup", "mixing-mastering", "D_PODCAST", "sound-design"))
q(
    "analytics",
    "category_word",
    g("power-bi", "pandas-analysis", "excel-dashboard", "D_DASHBOARD", "sql-reports"),
)
q("finance", "category_word", g("financial-model", "D_BIZPLAN", "quickbooks"), **{"tax-return": 1})
q("coaching", "category_word", g("interview-coach", "D_CAREER"), **{"fitness-plan": 1})
q(
    "animation",
    "category_word",
    g("explainer-2d", "whiteboard", "logo-animation", "3d-product", "D_EXPLAINER"),
)
q("illustration", "category_word", ILLUSTRATION, **{"cafe-menu": 1})
q(
    "software development",
    "category_word",
    g("django-app", "react-frontend", "node-api", "ios-app", "android-app"),
)
# --- prefixes as typed (the last word is unfinished)
q("djang", "prefix", DJANGO)
q("photog", "prefix", PHOTOGRAPHY)
q("illustr", "prefix", ILLUSTRATION)
q("wordpr", "prefix", WORDPRESS)
q("transl", "prefix", TRANSLATIONS)
q("podc", "prefix", PODCASTS)
q("logo desi", "prefix", LOGOS)
q("video edit", "prefix", VIDEO_EDITING)
q("book cov", "prefix", g("ebook-cover", "print-book-cover"))
q("shopi", "prefix", g("shopify"))
q("bookkee", "prefix", g("quickbooks"))
q("spanish less", "prefix", g("spanish-lessons"))
q("machine lear", "prefix", g("ml-model"))
q("dashbo", "prefix", DASHBOARDS)
# --- typos (one edit, words of five letters or more)
q("wordpres", "typo", WORDPRESS)
q("illustator", "typo", g("portrait-illustration"), **{"map-illustration": 1})
q("photograpy", "typo", g("D_LIFESTYLE_PHOTO", "product-photo-white", "food-photo"))
# "design" in the title: what a person who meant "design" sees first
q(
    "desgin",
    "typo",
    g(
        "logo-minimal",
        "business-cards",
        "flyer",
        "ui-app",
        "packaging-label",
        "ebook-cover",
        "tshirt",
        "infographic",
        "cafe-menu",
        "pitch-deck",
    ),
)
q("transaltion", "typo", TRANSLATIONS)
q("bookeeping", "typo", g("quickbooks"))
q("podcats", "typo", PODCASTS)
q("javascrpt", "typo", g("js-bugs", "react-frontend", "node-api", "chrome-extension"))
q("shopfy", "typo", g("shopify"))
q("wedding videp", "typo", g("wedding-video"))
q("dashbaord", "typo", DASHBOARDS)
q("marketting", "typo", g("email-klaviyo", "influencer", "tiktok-strategy", "D_MAILCHIMP"))
q("proofreadng", "typo", PROOF)
q("animaton", "typo", g("logo-animation", "whiteboard", "explainer-2d", "3d-product"))
# --- compounds and spacing
q("voiceover", "compound", VOICE)
q("voice over", "compound", VOICE)
q("voice-over", "compound", VOICE)
q("ebook", "compound", EBOOK)
q("e-book", "compound", EBOOK)
q("e book", "compound", EBOOK)
q("photoshoot", "compound", g("headshots"))
q("photo shoot", "compound", g("headshots"))
q("tshirt", "compound", g("tshirt"))
q(
    "ecommerce",
    "compound",
    g("woocommerce", "shopify", "product-descriptions", "product-photo-white"),
)
q(
    "e-commerce",
    "compound",
    g("woocommerce", "shopify", "product-descriptions", "product-photo-white"),
)
q("whiteboard animation", "compound", g("whiteboard"))
# --- accents, both ways
q("cafe", "accent", g("cafe-menu"))
q("café menu", "accent", g("cafe-menu"), **{"food-photo": 1})
q("resume", "accent", g("resume"))
q("résumé writing", "accent", g("resume"))
q("zurich", "accent", g("travel-zurich"))
q("Zürich", "accent", g("travel-zurich"))
# --- synonyms (the operators' list: tests/search/judgments/README.md)
q("wp", "synonym", WORDPRESS)
q("js", "synonym", g("js-bugs", "react-frontend", "node-api", "chrome-extension"))
q("cv", "synonym", g("resume"))
q("ios", "synonym", g("ios-app"))
q("iphone app", "synonym", g("ios-app"))
q("bookkeeper", "synonym", g("quickbooks"))
q("ppc", "synonym", g("google-ads"))
q("vlog editing", "synonym", g("youtube-editing"))
# --- nonsense: nothing should come back
for nonsense in [
    "qzxv",
    "blorptangle",
    "zzzzzz",
    "xkcdqwfp",
    "frumptious",
    "glorbnak",
    "vexquill",
    "snarfblat",
    "plmokn",
    "wubbadub",
    "qwertyuiop",
    "zyxwvut",
]:
    q(nonsense, "nonsense", {})


def resolve(key: str) -> str:
    return ALIASES.get(key, key)


def main() -> None:
    keys = {p["key"] for p in CATALOG} | set(ALIASES.values())
    queries = []
    for text, kind, expected in Q:
        resolved = {resolve(k): grade for k, grade in expected.items()}
        unknown = set(resolved) - keys
        assert not unknown, (text, unknown)
        queries.append({"q": text, "kind": kind, "expected": resolved})
    (HERE / "catalog.json").write_text(json.dumps(CATALOG, indent=1, ensure_ascii=False) + "\n")
    (HERE / "queries.json").write_text(json.dumps(queries, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(CATALOG)} projects, {len(queries)} queries")


if __name__ == "__main__":
    main()
