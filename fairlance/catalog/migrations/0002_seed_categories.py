from django.db import migrations

CATEGORIES = [
    ("design", "Design & illustration", "Logos, brand identity, illustration, UI design"),
    ("development", "Web & software development", "Websites, apps, scripts, integrations"),
    ("writing", "Writing & translation", "Articles, copywriting, translation, editing"),
    ("marketing", "Marketing & SEO", "SEO audits, ads, social media, email campaigns"),
    ("video", "Video & animation", "Editing, motion graphics, explainer videos"),
    ("audio", "Music & audio", "Mixing, voice-over, podcasts, jingles"),
    ("data", "Data & analytics", "Dashboards, data cleaning, analysis, machine learning"),
    ("business", "Business & finance", "Business plans, bookkeeping, market research"),
    ("photography", "Photography", "Product photos, retouching, photo editing"),
    ("lifestyle", "Lessons & coaching", "Tutoring, coaching, language lessons"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for position, (slug, name, description) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("catalog", "Category").objects.filter(slug__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
