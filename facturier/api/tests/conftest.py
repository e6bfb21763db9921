"""API clients for the shared personas: each holds an API token of its membership in acme (or, for
the outsider, in globex), created by the same service as the profile page's button."""

import json
from typing import Any

import pytest
from django.test import Client

from facturier.accounts.models import User
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership
from facturier.tenancy.services import create_api_token

# What each request costs in queries for its rate limit counter (accounts/counters.py): one upsert.
RATE_LIMIT_QUERIES = 1


def token_of(user: User, account: Account) -> str:
    membership = Membership.objects.get(user=user, account=account)
    return create_api_token(Actor(user=user, membership=membership), membership)[1]


class Api:
    """A client of the API that puts its token in the query string, as the public docs do."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.http = Client()

    def _url(self, path: str) -> str:
        return f"{path}{'&' if '?' in path else '?'}api_token={self.token}"

    def get(self, path: str, **extra: Any) -> Any:
        return self.http.get(self._url(path), **extra)

    def post(self, path: str, data: Any, **extra: Any) -> Any:
        return self.http.post(self._url(path), json.dumps(data), content_type="application/json", **extra)

    def put(self, path: str, data: Any, **extra: Any) -> Any:
        return self.http.put(self._url(path), json.dumps(data), content_type="application/json", **extra)

    def patch(self, path: str, data: Any, **extra: Any) -> Any:
        return self.http.patch(self._url(path), json.dumps(data), content_type="application/json", **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.http.delete(self._url(path), **extra)


@pytest.fixture
def owner_token(owner: User, acme: Account) -> str:
    return token_of(owner, acme)


@pytest.fixture
def owner_api(owner_token: str) -> Api:
    return Api(owner_token)


@pytest.fixture
def collaborator_api(collaborator: User, acme: Account) -> Api:
    return Api(token_of(collaborator, acme))


@pytest.fixture
def firm_api(firm_accountant: User, acme: Account) -> Api:
    return Api(token_of(firm_accountant, acme))


@pytest.fixture
def outsider_api(outsider: User, globex: Account) -> Api:
    return Api(token_of(outsider, globex))


@pytest.fixture
def without_legal_mentions():
    """For tests of how the README's own fields are read: its example buyers lack the address and SIREN
    French law requires on an invoice, which billing/tests/test_mentions.py and test_invoices.py check.
    Here that pre-issue check is set aside, to test the rest."""
    from facturier.billing import events, mentions

    events.issuing.disconnect(dispatch_uid="billing.mentions")
    yield
    events.issuing.connect(mentions.on_issuing, dispatch_uid="billing.mentions")
