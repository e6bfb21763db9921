"""Sign-up and password reset emails are limited per recipient address, and the pages never tell.

Anyone may ask for these emails: without a limit, a script could flood someone's inbox from our
servers. One budget per address (ACCOUNT_EMAILS_PER_ADDRESS within ACCOUNT_EMAILS_WINDOW_MINUTES) for
both kinds, counted whether or not the address has a user, so the answers reveal nothing."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from facturier.accounts.tests.test_signup import SIGNUP, form_data, without_csrf

RESET = reverse("accounts:password_reset")
T0 = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.ACCOUNT_EMAILS_PER_ADDRESS = 3
    settings.ACCOUNT_EMAILS_WINDOW_MINUTES = 60


def sent_to(address):
    return sum(1 for message in mail.outbox if message.to == [address])


def test_reset_emails_stop_at_the_limit_and_the_page_answers_the_same(client, owner):
    with time_machine.travel(T0, tick=False):
        answers = [client.post(RESET, {"email": owner.email}, follow=True) for _try in range(5)]

    assert sent_to(owner.email) == 3
    assert len({without_csrf(answer.content) for answer in answers}) == 1
    assert {tuple(answer.redirect_chain) for answer in answers} == {tuple(answers[0].redirect_chain)}


def test_a_known_and_an_unknown_address_are_answered_alike_past_the_limit(client, owner):
    with time_machine.travel(T0, tick=False):
        for _try in range(4):
            known = client.post(RESET, {"email": owner.email}, follow=True)
            unknown = client.post(RESET, {"email": "nobody@example.test"}, follow=True)

    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert known.redirect_chain == unknown.redirect_chain


def test_sign_up_and_reset_emails_share_the_addresss_budget_in_any_spelling(client, owner):
    with time_machine.travel(T0, tick=False):
        for _try in range(2):
            assert client.post(SIGNUP, form_data(email="Olivia@ACME.test")).status_code == 302
        for _try in range(2):
            client.post(RESET, {"email": " olivia@acme.TEST "})

    assert sent_to(owner.email) == 3


def test_a_new_address_signing_up_is_limited_the_same(client, db):
    with time_machine.travel(T0, tick=False):
        for _try in range(5):
            response = client.post(SIGNUP, form_data())
            assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")

    assert sent_to("paul@gateau.test") == 3


def test_other_addresses_keep_their_own_budget_and_the_window_ends(client, owner):
    with time_machine.travel(T0, tick=False) as traveller:
        for _try in range(4):
            client.post(RESET, {"email": owner.email})
        client.post(RESET, {"email": "colin@acme.test"})
        client.post(SIGNUP, form_data())
        assert sent_to(owner.email) == 3 and sent_to("paul@gateau.test") == 1

        traveller.shift(datetime.timedelta(minutes=61))
        client.post(RESET, {"email": owner.email})

    assert sent_to(owner.email) == 4
