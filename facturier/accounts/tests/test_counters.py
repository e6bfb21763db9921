"""The rate counters (accounts/counters.py): one statement adds and reads back; windows expire."""

import sqlite3

from django.core.management import call_command

from facturier.accounts import checks, counters
from facturier.accounts.models import RateCounter

NOW = 1_800_000_000.0


def test_a_counter_counts_within_its_window_and_keeps_its_expiry(db):
    assert counters.hit("t:a", expires_at=NOW + 60, now=NOW) == (1, NOW + 60)
    assert counters.hit("t:a", expires_at=NOW + 90, now=NOW + 30) == (2, NOW + 60)
    assert counters.hit("t:a", expires_at=NOW + 90, now=NOW + 30, amount=3) == (5, NOW + 60)


def test_an_expired_counter_starts_again_at_one(db):
    counters.hit("t:a", expires_at=NOW + 60, now=NOW)
    counters.hit("t:a", expires_at=NOW + 60, now=NOW)

    assert counters.hit("t:a", expires_at=NOW + 120, now=NOW + 60) == (1, NOW + 120)


def test_release_takes_back_one_hit_of_a_live_counter_only(db):
    counters.hit("t:a", expires_at=NOW + 60, now=NOW)
    counters.release("t:a", now=NOW)
    counters.release("t:a", now=NOW)  # never below zero
    counters.hit("t:b", expires_at=NOW + 60, now=NOW)
    counters.release("t:b", now=NOW + 61)  # expired: nothing to take back

    assert dict(RateCounter.objects.values_list("key", "count")) == {"t:a": 0, "t:b": 1}


def test_extend_only_ever_pushes_the_expiry_later(db):
    counters.hit("t:a", expires_at=NOW + 60, now=NOW)
    counters.extend("t:a", NOW + 600)
    counters.extend("t:a", NOW + 300)

    assert RateCounter.objects.get(key="t:a").expires_at == NOW + 600


def test_the_purge_command_deletes_expired_counters_only(db, capsys, time_machine):
    time_machine.move_to(NOW, tick=False)
    counters.hit("t:old", expires_at=NOW - 1, now=NOW - 100)
    counters.hit("t:live", expires_at=NOW + 60, now=NOW)

    call_command("purge_rate_counters")

    assert list(RateCounter.objects.values_list("key", flat=True)) == ["t:live"]
    assert "1 compteur(s) expiré(s) supprimé(s)." in capsys.readouterr().out


def test_keys_are_hashed_and_of_one_length():
    short, long = counters.key("login-email", "a@b.c"), counters.key("login-email", "x" * 500 + "@b.c")

    assert short.startswith("login-email:") and "a@b.c" not in short
    assert len(short) == len(long) <= (RateCounter._meta.get_field("key").max_length or 0)
    assert counters.key("s", "a", "bc") != counters.key("s", "ab", "c")


def test_the_check_refuses_an_sqlite_without_returning(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")

    [error] = checks.sqlite_counts_atomically(None)

    assert error.id == "accounts.E001" and "3.34.1" in error.msg
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 40, 1))
    assert checks.sqlite_counts_atomically(None) == []
