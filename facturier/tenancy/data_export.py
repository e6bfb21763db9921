"""Everything an account holds, in one ZIP: what its owner may ask for under the GDPR (art. 15 and 20,
access and portability), and what an operator hands over when an account leaves.

- `account.json`: the account's own row; `members.json`: who has access (e-mail, name, role, owner), never
  a password or a second factor.
- `data/<app>.<model>.json`: every row of every table keyed by this account (Django's JSON
  serialisation, the format `manage.py loaddata` reads), found through the app registry, so a table
  added later is exported without a change here. Secrets are left out (API token hashes, webhook signing
  secrets and the tokens webhooks send).
- `files/<name>`: every stored file of the account (logo, issued PDFs, receipts, imported e-invoices),
  read through the storage API (local folder or bucket); the export files, copies of the data above
  that expire after 7 days, are not. A file missing from storage is listed in `missing-files.txt`
  instead of stopping the export.

Rows are streamed table by table (`iterator()`), and files copied in chunks: memory stays flat whatever
the size of the account.
"""

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.db import models

from facturier.tenancy.models import Account, Membership

# Fields that would let whoever holds the file act as the account, left out of the export.
SECRET_FIELDS = {
    "tenancy.ApiToken": {"secret_hash"},
    "webhooks.Webhook": {"secret", "api_token"},
}
# Files that are copies of the data (the export jobs' files, which expire): rows only.
SKIPPED_FILES = {"exports.ExportJob"}
CHUNK = 1024 * 1024


def tenant_models() -> Iterator[type[models.Model]]:
    """The models whose rows belong to one account: a foreign key named `account` to Account."""
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "account"), None)
        if field is not None and field.related_model is Account:
            yield model


def _file_fields(model: type[models.Model]) -> list[str]:
    return [field.name for field in model._meta.fields if isinstance(field, models.FileField)]


def write_account_export(account: Account, out: IO[bytes]) -> dict[str, int]:
    """Write the ZIP of `account` to `out`; returns how many rows, files and missing files it holds."""
    counts = {"rows": 0, "files": 0, "missing": 0}
    missing: list[str] = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_rows(archive, "account.json", Account.objects.filter(pk=account.pk), set())
        members = Membership.objects.filter(account=account).select_related("user", "custom_role")
        archive.writestr("members.json", _members_json(members))
        _copy_files(archive, [account.logo] if account.logo else [], missing, counts)
        for model in tenant_models():
            label = model._meta.label
            rows = model._default_manager.filter(account=account).order_by("pk")
            counts["rows"] += _write_rows(
                archive, f"data/{label}.json", rows, SECRET_FIELDS.get(label, set())
            )
            file_fields = _file_fields(model)
            if file_fields and label not in SKIPPED_FILES:
                for row in rows.only("pk", *file_fields).iterator():
                    _copy_files(archive, [getattr(row, name) for name in file_fields], missing, counts)
        if missing:
            archive.writestr("missing-files.txt", "".join(f"{name}\n" for name in missing))
    counts["missing"] = len(missing)
    return counts


def _write_rows(archive: zipfile.ZipFile, name: str, rows: Any, secret: set[str]) -> int:
    model = rows.model
    fields = [f.name for f in model._meta.local_fields if f.name not in secret and not f.primary_key]
    counter = _Counter(rows.iterator())
    with archive.open(name, "w") as target, io.TextIOWrapper(target, encoding="utf-8") as text:
        serializers.serialize("json", counter, stream=text, fields=fields, indent=1)
    return counter.count


def _members_json(members: Any) -> str:
    return json.dumps(
        [
            {
                "email": member.user.email,
                "first_name": member.user.first_name,
                "last_name": member.user.last_name,
                "role": member.role_label,
                "owner": member.is_owner,
            }
            for member in members
        ],
        ensure_ascii=False,
        indent=1,
    )


def _copy_files(
    archive: zipfile.ZipFile, files: list[Any], missing: list[str], counts: dict[str, int]
) -> None:
    for stored in files:
        if not stored or not stored.name:
            continue
        try:
            source = stored.storage.open(stored.name, "rb")
        except OSError:
            missing.append(stored.name)
            continue
        with source, archive.open(f"files/{stored.name}", "w") as target:
            shutil.copyfileobj(source, target, CHUNK)
        counts["files"] += 1


class _Counter:
    """Counts the rows as the serializer reads them."""

    def __init__(self, rows: Iterator[models.Model]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[models.Model]:
        for row in self.rows:
            self.count += 1
            yield row
