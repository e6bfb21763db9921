"""Static files in production: WhiteNoise's compressed, hashed copies once collected, the package's own
files until then.

`collectstatic` writes hashed copies and their manifest under STATIC_ROOT, and pages link to the hashed
names (cached for a year by browsers). A node started from the wheel without running it would answer 500 on
every page with WhiteNoise's own storage (no manifest entry for "css/app.css"): here, without a manifest,
pages link to the plain names, which WhiteNoise serves from the package and the installed apps
(WHITENOISE_USE_FINDERS) with a short cache lifetime, and the check `ops.W001` says to collect them.
"""

from pathlib import Path

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # whitenoise is untyped
    @property
    def collected(self) -> bool:
        """Whether `collectstatic` wrote its manifest (read once, when the storage is made)."""
        return bool(self.hashed_files)

    def stored_name(self, name: str) -> str:
        if not self.collected:
            return name
        return str(super().stored_name(name))


def manifest_path() -> Path:
    return Path(settings.STATIC_ROOT) / str(CompressedManifestStaticFilesStorage.manifest_name)
