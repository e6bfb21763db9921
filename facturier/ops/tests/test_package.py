"""The deployable package: the wheel carries every file the application reads, its `facturier` command runs
it outside the checkout, and a node that never ran `collectstatic` serves its pages."""

import gettext
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from facturier.ops.staticfiles import StaticFilesStorage

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "facturier"


def _source_copy(target: Path) -> Path:
    """What a clean clone holds: the package without compiled translations or caches, and the build files."""
    source = target / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    shutil.copytree(PACKAGE, source / "facturier", ignore=ignore)
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy2(ROOT / name, source / name)
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    source = _source_copy(folder)
    # As `pip install .` builds it: in an isolated environment with the setuptools pyproject.toml asks for.
    # The wheel is written to a temporary folder, never installed into the shared virtualenv.
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    subprocess.run([*command, "-w", str(folder / "dist"), str(source)], check=True, capture_output=True)  # noqa: S603
    (built,) = (folder / "dist").glob("facturier-*.whl")
    return built


def _tracked(folder: str) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for path in (PACKAGE / folder).rglob("*")
        if path.is_file() and path.suffix != ".mo"
    }


def test_the_wheel_carries_templates_static_files_translations_typst_and_fonts(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    for folder in ("templates", "static", "locale"):
        missing = _tracked(folder) - names
        assert not missing, f"not in the wheel: {sorted(missing)[:5]}"
    assert {
        "facturier/billing/typst/document.typ",
        "facturier/billing/typst/stamp.typ",
        "facturier/billing/typst/statement.typ",
        "facturier/reports/typst/report.typ",
        "facturier/lib/fonts/NotoSans-Regular.ttf",
        "facturier/lib/fonts/OFL.txt",
    } <= names


def test_the_wheel_compiles_the_translations_a_clean_clone_lacks(wheel):
    archive = zipfile.ZipFile(wheel)
    assert "facturier/locale/fr/LC_MESSAGES/djangojs.mo" in archive.namelist()
    english = gettext.GNUTranslations(io.BytesIO(archive.read("facturier/locale/en/LC_MESSAGES/django.mo")))

    assert english.gettext("Se connecter") == "Log in"


def test_the_wheel_declares_the_facturier_command(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")]

    assert "facturier = facturier.__main__:main" in archive.read(entry_points).decode()


def test_the_installed_package_serves_pages_without_the_checkout_nor_collectstatic(wheel, tmp_path):
    """The wheel unpacked in a folder of its own, the dependencies from the virtualenv, run from elsewhere
    in production mode: `facturier check` passes and the login page and its style sheet are served."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "FACTURIER_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "FACTURIER_CACHE_URL": "locmem://",
        "LOG_FORMAT": "text",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    var.mkdir()
    probe = (
        "import os, facturier, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'facturier.settings'\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "print(facturier.__file__)\n"
        "client = Client()\n"
        "page = client.get('/login/', HTTP_ACCEPT_LANGUAGE='en')\n"
        "print(page.status_code, b'Log in' in page.content, b'/static/css/app.css' in page.content)\n"
        "css = client.get('/static/css/app.css')\n"
        "print(css.status_code, len(b''.join(css.streaming_content)) > 1000)\n"
    )
    run = {"cwd": tmp_path, "env": env, "capture_output": True, "text": True, "check": False}

    check = subprocess.run([sys.executable, "-m", "facturier", "check", "--deploy"], **run)
    served = subprocess.run([sys.executable, "-c", probe], **run)  # noqa: S603 (our interpreter, our probe)

    assert check.returncode == 0, check.stderr
    assert "ops.W001" in check.stderr  # the operator is told to collect the static files
    lines = served.stdout.splitlines()
    assert served.returncode == 0, served.stderr
    assert lines[0].startswith(str(site)), "the package must come from the wheel, not the checkout"
    assert lines[1:] == ["200 True True", "200 True"]


def test_the_command_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    env["PYTHONPATH"] = str(ROOT)

    result = subprocess.run(
        [sys.executable, "-m", "facturier", "check"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_static_names_are_the_collected_ones_once_collected_and_the_plain_ones_before(tmp_path):
    before = StaticFilesStorage(location=tmp_path, base_url="/static/")
    (tmp_path / "staticfiles.json").write_text(
        '{"paths": {"css/app.css": "css/app.0123456789ab.css"}, "version": "1.1", "hash": "x"}'
    )
    after = StaticFilesStorage(location=tmp_path, base_url="/static/")

    assert before.url("css/app.css") == "/static/css/app.css"
    assert after.url("css/app.css") == "/static/css/app.0123456789ab.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        after.url("css/other.css")  # once collected, a name missing from the manifest stays an error
