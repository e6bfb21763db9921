"""Checks of company identifiers with python-stdnum: offline checksums only, never an online lookup.

Each function takes what a user typed and returns the compact, canonical form, or raises a
ValidationError whose message says what is wrong in the user's language.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import bic, iban
from stdnum.eu import vat
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)
from stdnum.fr import siren, siret


def _explain(error: StdnumError, what: str) -> str:
    if isinstance(error, InvalidLength):
        return _("%(what)s n'a pas la bonne longueur.") % {"what": what}
    if isinstance(error, InvalidChecksum):
        return _("%(what)s est invalide (la clé de contrôle ne correspond pas).") % {"what": what}
    if isinstance(error, InvalidFormat):
        return _("%(what)s contient des caractères non autorisés.") % {"what": what}
    if isinstance(error, InvalidComponent):
        return _("%(what)s contient un code pays ou une partie inconnue.") % {"what": what}
    return _("%(what)s est invalide.") % {"what": what}


def clean_siren(value: str) -> str:
    try:
        return str(siren.validate(value))
    except StdnumError as error:
        raise ValidationError(_explain(error, _("Le SIREN")), code="invalid_siren") from None


def clean_siret(value: str) -> str:
    try:
        return str(siret.validate(value))
    except StdnumError as error:
        raise ValidationError(_explain(error, _("Le SIRET")), code="invalid_siret") from None


def clean_vat_number(value: str) -> str:
    try:
        return str(vat.validate(value))
    except StdnumError as error:
        raise ValidationError(_explain(error, _("Le numéro de TVA")), code="invalid_vat") from None


def clean_iban(value: str) -> str:
    try:
        return str(iban.validate(value))
    except StdnumError as error:
        raise ValidationError(_explain(error, _("L'IBAN")), code="invalid_iban") from None


def clean_bic(value: str) -> str:
    try:
        return str(bic.validate(value))
    except StdnumError as error:
        raise ValidationError(_explain(error, _("Le BIC")), code="invalid_bic") from None
