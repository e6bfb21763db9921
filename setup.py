"""The build step pyproject.toml cannot declare: compile the translations into the wheel.

The .mo files are not kept in git (they are built from the .po files), so a wheel built from a clean
clone would carry none and every page would stay in French: each facturier/locale/*/LC_MESSAGES/*.po is
compiled with gettext's msgfmt (as `manage.py compilemessages` does) into the build. An editable
install reads the checkout's own .mo files, which `make install` compiles.
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            raise SystemExit("Building Facturier needs gettext's msgfmt (Debian: apt install gettext).")
        for catalog in sorted(Path("facturier/locale").glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / catalog.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            # msgfmt from PATH, on our own files: the same command as compilemessages.
            subprocess.run([msgfmt, "--check-format", "-o", str(target), str(catalog)], check=True)  # noqa: S603


setup(cmdclass={"build_py": BuildWithTranslations})
