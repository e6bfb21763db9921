"""`manage.py seed_demo`: demo accounts and users to click around in (`make run` calls it).

Idempotent: what exists already is left as it is (a password changed by hand stays changed), only
what is missing is created, through the same services as the pages.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.accounts.models import User
from facturier.billing import demo
from facturier.lib.dates import today_in
from facturier.tenancy import permissions, plans, services
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, Membership, Role
from facturier.tenancy.plans import subscription_end

DEMO_PASSWORD = "demo-facturier"  # noqa: S105 (published on purpose: it opens the demo accounts)

EXPERT = "expert@demo.facturier.fr"
ADMIN = "admin@demo.facturier.fr"
COMPTABLE = "comptable@demo.facturier.fr"
UTILISATEUR = "utilisateur@demo.facturier.fr"
COMMERCIAL = "commercial@demo.facturier.fr"

FIRM_SLUG = "cabinet-demo"
CLIENT_SLUG = "boulangerie-martin"
INDEPENDENT_SLUG = "atelier-durand"

COMMERCIAL_ROLE = "Commercial"
COMMERCIAL_CODES = [
    f"{subject}.{verb}" for subject in ("sales", "clients", "products") for verb in ("view", "create", "edit")
]

# Identifiers with valid check digits (python-stdnum accepts them), stored in their compact form.
FIRM_IDENTITY = {
    "legal_name": "Cabinet Demo Expertise SAS",
    "street": "12 rue des Comptes",
    "post_code": "75002",
    "city": "Paris",
    "siren": "812345676",
    "vat_number": "FR19812345676",
}
CLIENT_IDENTITY = {
    "legal_name": "Boulangerie Martin SARL",
    "street": "3 place du Marché",
    "post_code": "69001",
    "city": "Lyon",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "iban": "FR7630006000011234567890189",
}
INDEPENDENT_IDENTITY = {
    "street": "8 impasse des Artisans",
    "post_code": "33000",
    "city": "Bordeaux",
    "siren": "841726359",
    "vat_number": "FR11841726359",
}


class Command(BaseCommand):
    help = "Crée les comptes et utilisateurs de démonstration (sans rien modifier de ce qui existe déjà)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            firm_is_new = not Account.objects.filter(slug=FIRM_SLUG).exists()
            firm = self._account(
                FIRM_SLUG, "Cabinet Demo Expertise", EXPERT, plans.ACCOUNTING, None, FIRM_IDENTITY
            )
            if firm_is_new:
                # No service turns the firm module on yet; the demo firm needs it to show the firm pages.
                Account.objects.filter(pk=firm.pk).update(firm_module_enabled=True)
                firm.firm_module_enabled = True
            client = self._account(CLIENT_SLUG, "Boulangerie Martin", ADMIN, plans.PRO, firm, CLIENT_IDENTITY)
            independent = self._account(
                INDEPENDENT_SLUG, "Atelier Durand", ADMIN, plans.FREE, None, INDEPENDENT_IDENTITY
            )

            commercial = Role.objects.filter(account=client, name=COMMERCIAL_ROLE).first()
            if commercial is None:
                commercial = services.save_role(
                    Actor.system(), client, name=COMMERCIAL_ROLE, codes=COMMERCIAL_CODES
                )
            self._member(client, COMPTABLE, permissions.ROLE_ACCOUNTANT)
            self._member(client, UTILISATEUR, permissions.ROLE_MEMBER)
            self._member(client, COMMERCIAL, permissions.ROLE_CUSTOM, custom_role=commercial)
            self._member(client, EXPERT, permissions.ROLE_ACCOUNTANT, firm=firm)

        # A year of invoicing in each account that has no sales documents yet (one transaction each).
        for account, business in ((client, "bakery"), (firm, "firm"), (independent, "workshop")):
            try:
                self.stdout.write(str(demo.seed_account(account, business)))
            except ServiceError as error:
                self.stderr.write(f"{account.slug} : {error.message}")
        self._print_logins()

    def _user(self, email: str) -> User:
        user = User.objects.filter(email=email).first()
        return user or User.objects.create_user(email, DEMO_PASSWORD)

    def _account(
        self,
        slug: str,
        name: str,
        owner_email: str,
        plan: str,
        managed_by: Account | None,
        identity: dict[str, str],
    ) -> Account:
        account = Account.objects.filter(slug=slug).first()
        if account is not None:
            return account
        return services.create_account(
            Actor.system(),
            slug=slug,
            name=name,
            owner=self._user(owner_email),
            plan=plan,
            subscription_ends_on=subscription_end(plan, today_in("Europe/Paris")),
            managed_by=managed_by,
            **identity,
        )

    def _member(
        self,
        account: Account,
        email: str,
        role: str,
        *,
        custom_role: Role | None = None,
        firm: Account | None = None,
    ) -> None:
        if Membership.objects.filter(account=account, user__email=email).exists():
            return
        # add_member creates a missing user with the demo password and attaches an existing one unchanged.
        try:
            services.add_member(
                Actor.system(),
                account,
                email=email,
                role=role,
                custom_role=custom_role,
                password=DEMO_PASSWORD,
                firm=firm,
            )
        except ServiceError as error:
            # Someone changed the demo account by hand (a full plan, a read-only account): keep their
            # changes and say what was skipped rather than fail `make run`.
            self.stderr.write(f"{account.slug} / {email} : {error.message}")

    def _print_logins(self) -> None:
        emails = [ADMIN, COMPTABLE, UTILISATEUR, COMMERCIAL, EXPERT]
        demo_slugs = [FIRM_SLUG, CLIENT_SLUG, INDEPENDENT_SLUG]
        memberships = list(
            Membership.objects.filter(user__email__in=emails, account__slug__in=demo_slugs)
            .select_related("user", "account", "custom_role")
            .order_by("account__name")
        )
        rows: list[tuple[str, str, str, str]] = []
        for email in emails:
            for membership in (m for m in memberships if m.user.email == email):
                role = membership.role_label
                if membership.is_owner:
                    role = f"{role}, {_('propriétaire')}"
                rows.append((email, role, membership.account.name, DEMO_PASSWORD))

        header = (_("Adresse email"), _("Rôle"), _("Compte"), _("Mot de passe"))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        login_url = settings.FACTURIER_BASE_URL + reverse("accounts:login")
        self.stdout.write(_("Comptes de démonstration, à ouvrir sur %(url)s") % {"url": login_url})
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
