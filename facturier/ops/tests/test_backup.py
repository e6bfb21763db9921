"""Backups: the stored files copied to a folder and back (local folder or bucket), and deploy/backup.sh
restored into an empty database whose hash chain still verifies, its files back in the storage."""

import io
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from facturier.billing.models import IssuedFile
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.ops import files_backup

ROOT = Path(__file__).resolve().parents[3]


def test_files_are_copied_once_and_put_back_when_lost(tmp_path, db):
    first = default_storage.save("attachments/1/recu.pdf", ContentFile(b"%PDF-1 recu"))
    second = default_storage.save("logos/logo.png", ContentFile(b"png"))
    backup = tmp_path / "backup"

    out = io.StringIO()
    call_command("backup_files", str(backup), stdout=out)
    assert out.getvalue().strip() == "2 fichiers copiés, 0 déjà sauvegardés."
    assert (backup / first).read_bytes() == b"%PDF-1 recu" and (backup / second).read_bytes() == b"png"
    assert files_backup.back_up(backup) == (0, 2)

    default_storage.delete(first)
    out = io.StringIO()
    call_command("backup_files", str(backup), "--restore", stdout=out)

    assert out.getvalue().strip() == "1 fichiers remis, 1 déjà présents."
    with default_storage.open(first, "rb") as restored:
        assert restored.read() == b"%PDF-1 recu"


def test_restoring_from_a_missing_folder_says_so(tmp_path, db):
    with pytest.raises(CommandError, match="Aucun dossier"):
        call_command("backup_files", str(tmp_path / "nope"), "--restore")


def _url(name: str) -> str:
    database = connection.settings_dict
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_backup_script_restores_into_an_empty_database_with_its_chain_and_files(tmp_path, acme, settings):
    invoice = make_invoice(acme, make_client(acme), lines=[line("Conseil", "1", "100", "20")])
    kept = IssuedFile.objects.get(document=invoice)
    pdf = kept.file.open("rb").read()
    storage = settings.STORAGES["default"]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
        "SECRET_KEY": "backup-" + "k" * 40,
        "FACTURIER_VAR_DIR": str(Path(settings.MEDIA_ROOT).parent),  # its media/ is the tests' folder
        "FACTURIER": f"{sys.executable} -m facturier",
        "LOG_FORMAT": "text",
    }
    if storage["BACKEND"] == "storages.backends.s3.S3Storage":
        options = storage["OPTIONS"]
        env.update(
            FACTURIER_S3_BUCKET=options["bucket_name"],
            FACTURIER_S3_ENDPOINT_URL=options["endpoint_url"],
            FACTURIER_S3_REGION=options["region_name"],
            FACTURIER_S3_PREFIX=options["location"],
        )
    backup = tmp_path / "backup"
    run = {"cwd": tmp_path, "capture_output": True, "text": True, "check": False}

    made = subprocess.run(  # noqa: S603 (our script, our interpreter)
        [str(ROOT / "deploy" / "backup.sh"), str(backup)],
        env={**env, "DATABASE_URL": _url(connection.settings_dict["NAME"])},
        **run,
    )
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.strip().splitlines()[-1])
    assert dump.parent == backup / "db" and dump.suffix == ".dump"
    assert (backup / "files" / kept.file.name).read_bytes() == pdf

    # The disaster: an empty database, the file lost from storage.
    restored_name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(_url("postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        default_storage.delete(kept.file.name)
        restored_env = {**env, "DATABASE_URL": _url(restored_name)}
        pg_restore = shutil.which("pg_restore") or "/usr/bin/pg_restore"
        restore = [pg_restore, "--no-owner", "--dbname", _url(restored_name), str(dump)]
        loaded = subprocess.run(restore, env=restored_env, **run)  # noqa: S603 (Debian's pg_restore, our dump)
        assert loaded.returncode == 0, loaded.stderr
        facturier = [sys.executable, "-m", "facturier"]
        put_back = [*facturier, "backup_files", "--restore", str(backup / "files")]
        files = subprocess.run(put_back, env=restored_env, **run)  # noqa: S603 (our interpreter and command)
        verify = [*facturier, "verify_chain", "--account", "acme"]
        chain = subprocess.run(verify, env=restored_env, **run)  # noqa: S603 (our interpreter and command)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        admin.close()

    assert files.returncode == 0, files.stderr
    assert files.stdout.strip().startswith("1 fichiers remis")
    with default_storage.open(kept.file.name, "rb") as back:
        assert back.read() == pdf
    assert chain.returncode == 0, chain.stderr
    assert chain.stdout.strip() == "OK: 1 documents"
