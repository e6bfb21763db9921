"""`manage.py create_account SLUG --name NAME --owner-email EMAIL ...`: an account and its owner, for
scripts (provisioning, demos). It checks input with the same rules and messages as the pages, stores
nothing when one value is wrong, and prints one JSON line with a fresh API token of the owner.

`--firm` makes the account an accounting firm (accounting plan, firm module on); `--managed-by FIRM`
makes it a client account of that firm (PRO plan unless --plan says otherwise)."""

import json
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from facturier.accounts.models import User, normalize_email
from facturier.firm import services as firm_services
from facturier.lib.dates import today_in
from facturier.tenancy import plans, services
from facturier.tenancy.access import Actor
from facturier.tenancy.forms.account import AccountIdentityForm
from facturier.tenancy.models import Account, Membership

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
        parser.add_argument(
            "--plan",
            help=f"Formule : {', '.join(plans.PLANS)} ({plans.FREE} par défaut, {plans.PRO} avec --managed-by).",
        )
        parser.add_argument(
            "--firm",
            action="store_true",
            help="Cabinet comptable : formule accounting et module dédié aux cabinets comptables activé.",
        )
        parser.add_argument(
            "--managed-by",
            metavar="FIRM_SLUG",
            help="Adresse du cabinet comptable dont c'est un compte client.",
        )
        parser.add_argument("--siren", default="")
        parser.add_argument("--vat-number", default="")
        parser.add_argument("--street", default="")
        parser.add_argument("--post-code", default="")
        parser.add_argument("--city", default="")
        parser.add_argument("--country", default="FR", help="Code pays ISO à deux lettres (FR par défaut).")

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        is_firm: bool = options["firm"]
        firm_slug: str | None = options["managed_by"]
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

        plan, firm, firm_problems = self._firm_options(options["plan"], is_firm, firm_slug)
        problems.extend(firm_problems)
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
                subscription_ends_on=plans.subscription_end(plan, today_in("Europe/Paris")),
                managed_by=firm,
                **identity,
            )
            if is_firm:
                account = firm_services.set_firm_module(Actor.system(), account, True)
            if firm is not None:
                firm_services.register_client_account(Actor.system(), firm, account, owner)
            membership = Membership.objects.get(account=account, user=owner)
            _token, plain = services.create_api_token(Actor(user=owner, membership=membership), membership)

        self.stdout.write(json.dumps({"slug": account.slug, "owner_email": owner.email, "api_token": plain}))

    def _firm_options(
        self, plan: str | None, is_firm: bool, firm_slug: str | None
    ) -> tuple[str, Account | None, list[str]]:
        """The plan, the managing firm and the problems of --plan, --firm and --managed-by together."""
        problems = []
        if is_firm and firm_slug:
            problems.append(
                _("--firm et --managed-by s'excluent : un cabinet comptable n'est pas un compte client.")
            )
        if is_firm and plan not in (None, plans.ACCOUNTING):
            problems.append(
                _("--firm : un cabinet comptable est sous formule %(plan)s ; retirez --plan.")
                % {"plan": plans.ACCOUNTING}
            )
        firm = None
        if firm_slug:
            firm = Account.objects.filter(slug=firm_slug).first()
            if firm is None:
                problems.append(
                    _("--managed-by : aucun compte à l'adresse « %(slug)s ».") % {"slug": firm_slug}
                )
            elif not firm.is_firm:
                problems.append(
                    _(
                        "--managed-by : « %(slug)s » n'est pas un cabinet comptable (formule Comptabilité et "
                        "module dédié aux cabinets comptables activé)."
                    )
                    % {"slug": firm_slug}
                )
        default = plans.ACCOUNTING if is_firm else plans.PRO if firm_slug else plans.FREE
        return plan or default, firm, problems

    def _password_problems(self, email: str, password: str | None) -> list[str]:
        if not password:
            return [_("--password : obligatoire pour un nouvel utilisateur (%(email)s).") % {"email": email}]
        try:
            # An unsaved user, so the similarity check compares the password with the email.
            validate_password(password, user=User(email=email))
        except ValidationError as error:
            return [f"--password : {message}" for message in error.messages]
        return []
