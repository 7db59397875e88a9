"""Delivery files and requirement file answers become uploads (fairlance.files).

Before, a delivery file was a ``DeliveryFile`` holding its own stored file, and a file
answer was the storage path of a file the web form had saved. Both become ``Upload`` rows
attached to their contract, and a file answer holds the upload's id. The stored files
stay where they are; nothing already delivered is lost.

A path answer is kept only if it is exactly a path the web form could have written for
that contract (normalised, under ``requirements/<contract>/`` or
``requirements/new-<client>/``) and the file exists. Anything else, such as the
``requirements/new-<client>/../../requirements/5/brief.pdf`` trick (issue 11, item 15),
is dropped: it named somebody else's file. Migrated files are served as
``application/octet-stream``, the safest type, whatever their extension.
"""

import posixpath
import unicodedata
import uuid

import django.db.models.deletion
import fairlance.contracts.models
from django.core.files.storage import default_storage
from django.db import migrations, models

OCTET_STREAM = "application/octet-stream"


def _checks_now(schema_editor):
    # PostgreSQL defers foreign-key checks to the commit, and refuses to alter a table
    # with such checks pending; the schema changes after these rows need them done.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _size(name):
    try:
        return default_storage.size(name) if name and default_storage.exists(name) else 0
    except OSError:
        return 0


def _printable(name):
    text = "".join(ch for ch in str(name or "") if not unicodedata.category(ch).startswith("C"))
    return text.strip()[:200] or "file"


def deliveries_to_uploads(apps, schema_editor):
    _checks_now(schema_editor)
    Upload = apps.get_model("files", "Upload")
    DeliveryFile = apps.get_model("contracts", "DeliveryFile")
    for row in DeliveryFile.objects.select_related("delivery__contract").iterator():
        contract = row.delivery.contract
        stored = row.file.name or ""
        row.upload = Upload.objects.create(
            uploader_id=contract.freelancer_id,
            purpose="delivery",
            contract_id=contract.pk,
            file=stored,
            name=_printable(row.name or posixpath.basename(stored)),
            size=_size(stored),
            content_type=OCTET_STREAM,
            created_at=row.delivery.created_at,
            attached_at=row.delivery.created_at,
        )
        row.save(update_fields=["upload"])


def uploads_to_deliveries(apps, schema_editor):
    _checks_now(schema_editor)
    DeliveryFile = apps.get_model("contracts", "DeliveryFile")
    Upload = apps.get_model("files", "Upload")
    for row in DeliveryFile.objects.select_related("upload").iterator():
        upload = row.upload
        row.file = upload.file.name
        row.name = upload.name
        row.upload = None
        row.save(update_fields=["file", "name", "upload"])
        Upload.objects.filter(pk=upload.pk).delete()


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _form_wrote(contract, path):
    """Whether ``path`` is one the old web form could have stored for this contract."""
    if posixpath.normpath(path) != path or path.startswith("/"):
        return False
    prefixes = (f"requirements/{contract.pk}/", f"requirements/new-{contract.client_id}/")
    return path.startswith(prefixes) and default_storage.exists(path)


def _answer_name(path):
    base = path.rsplit("/", 1)[-1]
    prefix, sep, rest = base.partition("-")
    return _printable(rest if sep and len(prefix) == 8 else base)


def path_answers_to_uploads(apps, schema_editor):
    _checks_now(schema_editor)
    Contract = apps.get_model("contracts", "Contract")
    Upload = apps.get_model("files", "Upload")
    contracts = Contract.objects.only("id", "client_id", "snapshot", "answers", "created_at")
    for contract in contracts.iterator(chunk_size=1000):
        answers = dict(contract.answers or {})
        changed = False
        for question in (contract.snapshot or {}).get("questions", []):
            key = str(question.get("id"))
            value = answers.get(key)
            if question.get("kind") != "file" or not isinstance(value, str) or _is_uuid(value):
                continue
            changed = True
            if not _form_wrote(contract, value):
                del answers[key]
                continue
            upload = Upload.objects.create(
                uploader_id=contract.client_id,
                purpose="requirement",
                contract_id=contract.pk,
                file=value,
                name=_answer_name(value),
                size=_size(value),
                content_type=OCTET_STREAM,
                created_at=contract.created_at,
                attached_at=contract.created_at,
            )
            answers[key] = str(upload.public_id)
        if changed:
            contract.answers = answers
            contract.save(update_fields=["answers"])


def upload_answers_to_paths(apps, schema_editor):
    _checks_now(schema_editor)
    Contract = apps.get_model("contracts", "Contract")
    Upload = apps.get_model("files", "Upload")
    uploads = Upload.objects.filter(purpose="requirement", contract__isnull=False)
    by_contract = {}
    for upload in uploads.iterator():
        by_contract.setdefault(upload.contract_id, {})[str(upload.public_id)] = upload
    for contract in Contract.objects.filter(pk__in=list(by_contract)).only("id", "answers"):
        files = by_contract[contract.pk]
        contract.answers = {
            key: files[value].file.name if isinstance(value, str) and value in files else value
            for key, value in (contract.answers or {}).items()
        }
        contract.save(update_fields=["answers"])
    uploads.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_contract_charge_ref_index"),
        ("files", "0001_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryfile",
            name="upload",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="delivery_file",
                to="files.upload",
            ),
        ),
        migrations.RunPython(deliveries_to_uploads, uploads_to_deliveries),
        migrations.RunPython(path_answers_to_uploads, upload_answers_to_paths),
        # Defaults only so that undoing this migration can add the columns back to existing
        # rows (uploads_to_deliveries then fills them in).
        migrations.AlterField(
            model_name="deliveryfile",
            name="file",
            field=models.FileField(default="", upload_to=fairlance.contracts.models.delivery_upload_to),
        ),
        migrations.AlterField(
            model_name="deliveryfile", name="name", field=models.CharField(default="", max_length=200)
        ),
        migrations.RemoveField(model_name="deliveryfile", name="file"),
        migrations.RemoveField(model_name="deliveryfile", name="name"),
        migrations.AlterField(
            model_name="deliveryfile",
            name="upload",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="delivery_file",
                to="files.upload",
            ),
        ),
        migrations.AlterModelOptions(name="deliveryfile", options={"ordering": ["delivery_id", "id"]}),
    ]
