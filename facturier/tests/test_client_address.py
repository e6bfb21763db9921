"""The client's address behind trusted proxies (lib/network.py, FACTURIER_TRUSTED_PROXIES)."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from facturier.accounts.models import LoginAttempt
from facturier.conftest import PASSWORD
from facturier.env import env_networks
from facturier.lib.network import client_address, parse_networks

BALANCERS = parse_networks(["10.0.0.0/8", "2001:db8:aa::/48"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header():
    assert client_address("203.0.113.7", "198.51.100.1", []) == "203.0.113.7"


def test_an_untrusted_peer_is_the_client_whatever_the_header():
    assert client_address("203.0.113.7", "198.51.100.1", BALANCERS) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_appended():
    assert client_address("10.0.0.2", "203.0.113.7", BALANCERS) == "203.0.113.7"


def test_a_client_cannot_choose_its_address_by_sending_the_header_itself():
    # The client sent "X-Forwarded-For: 198.51.100.1"; the balancer appended the address it saw.
    assert client_address("10.0.0.2", "198.51.100.1, 203.0.113.7", BALANCERS) == "203.0.113.7"


def test_the_walk_goes_through_trusted_hops_only():
    assert client_address("10.0.0.2", "192.0.2.1, 203.0.113.7, 10.0.0.9", BALANCERS) == "203.0.113.7"
    # Every hop trusted: the leftmost is the best that is known.
    assert client_address("10.0.0.2", "10.0.0.8, 10.0.0.9", BALANCERS) == "10.0.0.8"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8:bb::7]:443", "2001:db8:bb::7"),
        ("2001:db8:bb::7", "2001:db8:bb::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
    ],
)
def test_the_forms_proxies_write_are_read(forwarded, client):
    assert client_address("2001:db8:aa::1", forwarded, BALANCERS) == client


def test_a_malformed_entry_ends_the_walk_at_the_proxy_so_limits_still_count():
    assert client_address("10.0.0.2", "203.0.113.7, unknown", BALANCERS) == "10.0.0.2"
    assert client_address("10.0.0.2", "", BALANCERS) == "10.0.0.2"


def test_the_setting_takes_addresses_and_networks_and_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_PROXIES", "10.0.0.0/8, 192.0.2.10, 2001:db8::/32")
    assert [str(network) for network in env_networks("SOME_PROXIES")] == [
        "10.0.0.0/8",
        "192.0.2.10/32",
        "2001:db8::/32",
    ]
    monkeypatch.setenv("SOME_PROXIES", "10.0.0.0/8, lb.internal")
    with pytest.raises(ImproperlyConfigured, match=re.escape("SOME_PROXIES: 'lb.internal'")):
        env_networks("SOME_PROXIES")


def test_behind_a_trusted_balancer_an_attack_from_one_place_locks_nobody_elsewhere(owner, settings):
    settings.FACTURIER_TRUSTED_PROXIES = BALANCERS
    login = reverse("accounts:login")
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(6):
        attacker.post(login, {"email": owner.email, "password": "guess"})

    at_home = Client(REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="198.51.100.3").post(
        login, {"email": owner.email, "password": PASSWORD}
    )

    assert at_home.status_code == 302
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"203.0.113.66", "198.51.100.3"}
