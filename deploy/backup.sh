#!/bin/sh
# Back up Facturier: the database (pg_dump, custom format) into BACKUP_DIR/db/, and the stored files (local
# folder or bucket) into BACKUP_DIR/files/, which is kept across runs and only ever added to (docs/deployment.md,
# "Backups"). Run it with the environment of the web and worker processes (DATABASE_URL, FACTURIER_S3_*...).
# FACTURIER names the command (default: facturier; from a checkout: "python manage.py").
set -eu
backup_dir="${1:?usage: backup.sh BACKUP_DIR}"
facturier="${FACTURIER:-facturier}"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$backup_dir/db"
# The database first: the files it names were stored before it was dumped, so the copy that follows has them.
pg_dump --format=custom --no-owner --file="$backup_dir/db/facturier-$stamp.dump.partial" "$DATABASE_URL"
mv "$backup_dir/db/facturier-$stamp.dump.partial" "$backup_dir/db/facturier-$stamp.dump"
$facturier backup_files "$backup_dir/files"
echo "$backup_dir/db/facturier-$stamp.dump"
