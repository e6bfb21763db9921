"""`manage.py create_account SLUG --name NAME --owner-email EMAIL ...`: an account and its owner, for
scripts (provisioning, demos). It checks input with the same rules and messages as the pages, stores
nothing when one value is wrong, and prints one JSON line with a fresh API token of the owner."""

import datetime
import json
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from facturier.accounts.models import User, normalize_email
from facturier.lib.dates import today_in
from facturier.tenancy import plans, services
from facturier.tenancy.access import Actor
from facturier.tenancy.forms.account import AccountIdentityForm
from facturier.tenancy.models import Membership

# Identity options of the command and the form field each one fills.
IDENTITY_OPTIONS = {
    "name": "--name",
    "siren": "--siren",
    "vat_number": "--vat-number",
    "street": "--street",
    "post_code": "--post-code",
    "city": "--city",
    "country": "--country",
}


def subscription_end(plan: str, today: datetime.date) -> datetime.date | None:
    """Paid plans start with one year of subscription; the free plan never ends."""
    if plan == plans.FREE:
        return None
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February: a year later is the 28th.
        return today.replace(year=today.year + 1, day=28)


class Command(BaseCommand):
    help = "Crée un compte et son propriétaire, et affiche un jeton d'API du propriétaire (une ligne JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Adresse du compte (/<slug>/).")
        parser.add_argument("--name", required=True, help="Nom de l'entreprise.")
        parser.add_argument(
            "--owner-email", required=True, help="Email du propriétaire (existant ou nouveau)."
        )
        parser.add_argument(
            "--password", help="Mot de passe d'un nouveau propriétaire (ignoré pour un utilisateur existant)."
        )
        parser.add_argument("--plan", default=plans.FREE, help=f"Formule : {', '.join(plans.PLANS)}.")
        parser.add_argument("--siren", default="")
        parser.add_argument("--vat-number", default="")
        parser.add_argument("--street", default="")
        parser.add_argument("--post-code", default="")
        parser.add_argument("--city", default="")
        parser.add_argument("--country", default="FR", help="Code pays ISO à deux lettres (FR par défaut).")

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        plan: str = options["plan"]
        email = normalize_email(options["owner_email"])
        password: str | None = options["password"]
        problems: list[str] = []

        try:
            services.validate_new_slug(slug)
        except ValidationError as error:
            problems.extend(error.messages)

        form = AccountIdentityForm(
            data={field: options[field] for field in IDENTITY_OPTIONS}
            | {"country": options["country"].strip().upper()}
        )
        if not form.is_valid():
            for field, messages in form.errors.items():
                option = IDENTITY_OPTIONS.get(field, field)
                problems.extend(f"{option} : {message}" for message in messages)

        if plan not in plans.PLANS:
            problems.append(_("Formule inconnue : %(plan)s.") % {"plan": plan})

        owner = None
        try:
            validate_email(email)
        except ValidationError as error:
            problems.extend(f"--owner-email : {message}" for message in error.messages)
        else:
            owner = User.objects.filter(email=email).first()
            if owner is None:
                problems.extend(self._password_problems(email, password))
            elif password:
                self.stderr.write(
                    _("%(email)s existe déjà : son mot de passe n'est pas modifié.") % {"email": email}
                )

        if problems:
            raise CommandError("\n".join(problems))

        with transaction.atomic():
            if owner is None:
                owner = User.objects.create_user(email, password)
            identity = {
                field: value for field, value in form.cleaned_data.items() if field in IDENTITY_OPTIONS
            }
            name = identity.pop("name")
            account = services.create_account(
                Actor.system(),
                slug=slug,
                name=name,
                owner=owner,
                plan=plan,
                subscription_ends_on=subscription_end(plan, today_in("Europe/Paris")),
                **identity,
            )
            membership = Membership.objects.get(account=account, user=owner)
            _token, plain = services.create_api_token(Actor(user=owner, membership=membership), membership)

        self.stdout.write(json.dumps({"slug": account.slug, "owner_email": owner.email, "api_token": plain}))

    def _password_problems(self, email: str, password: str | None) -> list[str]:
        if not password:
            return [_("--password : obligatoire pour un nouvel utilisateur (%(email)s).") % {"email": email}]
        try:
            # An unsaved user, so the similarity check compares the password with the email.
            validate_password(password, user=User(email=email))
        except ValidationError as error:
            return [f"--password : {message}" for message in error.messages]
        return []
