"""`manage.py backup_files FOLDER` copies the stored files the folder lacks (the file half of a backup);
`--restore` puts back into the storage the files of FOLDER it lacks (facturier/ops/files_backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.ops import files_backup


class Command(BaseCommand):
    help = (
        "Copie les fichiers stockés (local ou bucket) qui manquent au dossier, ou les y reprend (--restore)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--restore", action="store_true", help="du dossier vers le stockage")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if options["restore"]:
            if not folder.is_dir():
                raise CommandError(f"Aucun dossier {folder}.")
            restored, present = files_backup.restore(folder)
            self.stdout.write(f"{restored} fichiers remis, {present} déjà présents.")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            copied, kept = files_backup.back_up(folder)
            self.stdout.write(f"{copied} fichiers copiés, {kept} déjà sauvegardés.")
