"""The stored files, copied to a folder and back: the file half of a backup (deploy/backup.sh runs
pg_dump for the other half).

Through the storage API, so the same commands serve the local folder and a bucket. The files are never
changed once stored (issued PDFs, receipts, logos, imports: a new file gets a new name), so a copy is
made only of a name the other side lacks or holds with another size, and nothing is ever deleted: a
backup folder kept across runs holds every file any dump of the database may name.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, default_storage

CHUNK = 1024 * 1024


def stored_names(storage: Storage = default_storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, folder by folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local storage whose folder was never written to
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def back_up(target: Path, storage: Storage = default_storage) -> tuple[int, int]:
    """Copy to `target` the stored files it lacks: (copied, already there)."""
    copied = kept = 0
    for name in stored_names(storage):
        destination = target / name
        if destination.is_file() and destination.stat().st_size == storage.size(name):
            kept += 1
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        with storage.open(name, "rb") as source, partial.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        partial.replace(destination)
        copied += 1
    return copied, kept


def restore(source: Path, storage: Storage = default_storage) -> tuple[int, int]:
    """Put back into the storage the files of `source` it lacks, under their names: (restored, present)."""
    restored = present = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.name.endswith(".partial")):
        name = path.relative_to(source).as_posix()
        if storage.exists(name):
            present += 1
            continue
        with path.open("rb") as content:
            saved = storage.save(name, File(content))
        if saved != name:  # the storage renamed it: the database would not find it
            raise RuntimeError(f"{name} was stored as {saved}")
        restored += 1
    return restored, present
