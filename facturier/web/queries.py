"""Reads for the shell: the accounts a user can open (the top-bar switcher), a new account's checklist."""

from typing import NamedTuple

from django.db.models import Exists, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.billing.models import Client, Document, Kind, Status
from facturier.tenancy.models import Account, Membership

SWITCHER_SIZE = 15


class SwitcherEntry(NamedTuple):
    """An account of the switcher: what the top bar shows of it and where it leads."""

    slug: str
    name: str
    dashboard_url: str


def switcher_memberships(user_id: int, query: str = "") -> QuerySet[Membership]:
    """The user's memberships ordered by account name, filtered by name or slug; one indexed query."""
    memberships = Membership.objects.filter(user_id=user_id).order_by("account__name")
    query = query.strip()
    if query:
        memberships = memberships.filter(
            Q(account__name__icontains=query) | Q(account__slug__icontains=query)
        )
    return memberships


def switcher_page(user_id: int, query: str = "") -> tuple[list[SwitcherEntry], bool]:
    """The first SWITCHER_SIZE accounts of the user, and whether there are more. Only the slug and
    name are read, and the dashboard's URL is reversed once: the layout shows this list on every page,
    and whole Membership and Account rows cost a page more than the rest of its top bar."""
    rows = list(
        switcher_memberships(user_id, query).values_list("account__slug", "account__name")[
            : SWITCHER_SIZE + 1
        ]
    )
    placeholder = "switcher-slug"
    url = reverse("web:dashboard", args=[placeholder])
    entries = [
        SwitcherEntry(slug, name, url.replace(f"/{placeholder}/", f"/{slug}/", 1))
        for slug, name in rows[:SWITCHER_SIZE]
    ]
    return entries, len(rows) > SWITCHER_SIZE


class OnboardingStep(NamedTuple):
    """One step of a new account's checklist on the dashboard: its words, whether it is done, where to
    do it."""

    label: str
    done: bool
    url: str


def onboarding_steps(account: Account) -> list[OnboardingStep]:
    """What a new account still has to set up before its invoices are complete: the company's identity
    (address, and SIREN for a French company), its IBAN, its logo, a first client, a first issued
    invoice. One query (whether a client and an issued invoice exist); the rest is on the account."""
    found = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            has_client=Exists(Client.objects.filter(account=account)),
            has_invoice=Exists(
                Document.objects.filter(account=account, kind=Kind.INVOICE).exclude(status=Status.DRAFT)
            ),
        )
        .values("has_client", "has_invoice")
        .get()
    )
    identity = bool(account.street and account.post_code and account.city) and (
        bool(account.siren) or account.country != "FR"
    )
    settings_url = reverse("tenancy:account", args=[account.slug])
    return [
        OnboardingStep(_("Compléter l'identité de l'entreprise (adresse, SIREN)"), identity, settings_url),
        OnboardingStep(
            _("Indiquer l'IBAN du compte qui reçoit les paiements"), bool(account.iban), settings_url
        ),
        OnboardingStep(_("Ajouter le logo imprimé sur les documents"), bool(account.logo), settings_url),
        OnboardingStep(
            _("Créer un premier client"),
            found["has_client"],
            reverse("billing:client_new", args=[account.slug]),
        ),
        OnboardingStep(
            _("Émettre une première facture"),
            found["has_invoice"],
            reverse("billing:document_new", args=[account.slug]) + "?kind=vat",
        ),
    ]
