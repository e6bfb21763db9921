import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from facturier.env import env_bool, env_int, env_list, secret_key

ROOT = Path(__file__).resolve().parents[2]


def test_a_boolean_variable_with_a_typo_stops_the_process(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


def test_variables_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", " Yes ")
    monkeypatch.setenv("SOME_NUMBER", "12")
    monkeypatch.setenv("SOME_HOSTS", "a.example, b.example,,")
    assert env_bool("SOME_FLAG", False) is True
    assert env_int("SOME_NUMBER", 0) == 12
    assert env_list("SOME_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("SOME_NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be an integer"):
        env_int("SOME_NUMBER", 0)


def test_the_development_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path, debug=True)
    assert secret_key(tmp_path, debug=True) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DEBUG="false", FACTURIER_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="facturier.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def _manage(args: list[str], tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """manage.py run as the README shows it, in a fresh shell: none of our variables set."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(FACTURIER_VAR_DIR=str(tmp_path), **variables)
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_the_readme_commands_run_in_a_fresh_development_shell(tmp_path):
    result = _manage(
        ["shell", "-v", "0", "-c", "from django.conf import settings; print(settings.DEBUG)"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_a_server_with_its_secret_key_keeps_debug_off_in_manage_commands(tmp_path):
    script = "from django.conf import settings; print(settings.DEBUG)"
    result = _manage(["shell", "-v", "0", "-c", script], tmp_path, SECRET_KEY="a-long-production-secret")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    # DEBUG written out still wins, and then the secret is required as before.
    refused = _manage(["check"], tmp_path, DEBUG="false")
    assert refused.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in refused.stderr


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("", "facturier.accounts.sessions"),  # the database's cache table: shared
        ("redis://127.0.0.1:6379/0", "facturier.accounts.sessions"),
        # One process's memory: another process would keep a session that was logged out.
        ("locmem://", "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_are_cached_only_in_a_cache_every_process_shares(tmp_path, cache_url, engine):
    env = {
        **os.environ,
        "DEBUG": "true",
        "FACTURIER_VAR_DIR": str(tmp_path),
        "FACTURIER_CACHE_URL": cache_url,
    }
    env["DJANGO_SETTINGS_MODULE"] = "facturier.settings"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == engine
