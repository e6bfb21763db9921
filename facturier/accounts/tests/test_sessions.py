import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from facturier.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def saved_session(**data):
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


def test_it_reads_a_saved_session_as_django_wrote_it():
    key = saved_session(answer=42, name="Élodie")

    session = SessionStore(key)

    assert session["answer"] == 42 and session["name"] == "Élodie"
    assert session.session_key == key


def test_an_expired_unknown_or_tampered_session_reads_as_empty_and_gets_a_new_key():
    expired = saved_session(answer=1)
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    tampered = saved_session(answer=2)
    Session.objects.filter(session_key=tampered).update(session_data="not:signed:data")

    for key in (expired, "unknownsessionkey0123456789abcde", tampered):
        session = SessionStore(key)
        assert dict(session) == {}
        if key != tampered:  # Django keeps the key of a row it found but could not decode
            assert session.session_key is None


def test_a_logged_in_member_stays_logged_in_across_pages(owner_client):
    first = owner_client.get(reverse("web:dashboard", args=["acme"]))
    second = owner_client.get(reverse("billing:document_list", args=["acme"]))

    assert first.status_code == second.status_code == 200
