"""Input as the public API's clients send it (api.md, section 2, "Loose typing").

Numbers come as JSON numbers or strings, with a decimal point or a decimal comma; booleans as
true/false, 1/0, "yes"/"no"; `null` means "not given", and so does an empty string, except for a free
text, where it is the empty text (which clears the text on an update). Each helper turns one value into what a
service expects or raises InputError naming the field; `read` applies them to a resource's known
writable keys and ignores every other key (read-only ones included), gathering all the errors at once.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from facturier.api.errors import InputError

TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})
FALSE = frozenset({"0", "false", "no", "off", "f", "n", ""})

# Beyond this many digits no amount, quantity or id of the API makes sense; refusing them early keeps
# arithmetic and the database (18 digits at most) away from absurd values.
MAX_DIGITS = 20


def is_absent(value: Any) -> bool:
    """`null` (and the string "null" the public docs show for dates) means the key was not sent; so
    does an empty string, which the public API's clients send for every field they leave blank."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("null", ""))


def to_decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise InputError.on(field, _("Indiquez un nombre."))
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InputError.on(field, _("Indiquez un nombre.")) from None
    else:
        raise InputError.on(field, _("Indiquez un nombre."))
    if not number.is_finite():
        raise InputError.on(field, _("Indiquez un nombre."))
    if number and not -MAX_DIGITS <= number.adjusted() < MAX_DIGITS:
        raise InputError.on(field, _("Ce nombre est hors des limites admises."))
    return number


def to_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    number = to_decimal(value, field)
    if number != number.to_integral_value():
        raise InputError.on(field, _("Indiquez un nombre entier."))
    integer = int(number)
    if (minimum is not None and integer < minimum) or (maximum is not None and integer > maximum):
        raise InputError.on(field, _("Ce nombre est hors des limites admises."))
    return integer


def to_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise InputError.on(field, _("Indiquez oui ou non (true/false, 1/0, yes/no)."))


def to_text(value: Any, field: str) -> str:
    """A string; numbers are taken as their text. NUL characters and lone surrogates, which the
    databases refuse, are refused here with a message instead."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InputError.on(field, _("Indiquez un texte."))
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError.on(field, _("Ce texte contient des caractères invalides.")) from None
    if "\x00" in text:
        raise InputError.on(field, _("Ce texte contient des caractères invalides."))
    return text


def to_code(value: Any, field: str) -> str:
    """A code (country, currency): its text in capitals."""
    return to_text(value, field).strip().upper()


def to_id(value: Any, field: str) -> int:
    """A row id: a positive integer that fits the database's bigint."""
    return to_int(value, field, minimum=1, maximum=2**63 - 1)


def to_ids(values: Sequence[Any], field: str) -> list[int]:
    """Ids given as a list, or as one comma-separated text ("1,2,3")."""
    ids: list[int] = []
    for value in values:
        parts = value.split(",") if isinstance(value, str) else [value]
        ids.extend(to_id(part, field) for part in parts if not (isinstance(part, str) and not part.strip()))
    return ids


def to_object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError.on(field, _('Envoyez un objet : {"champ": valeur}.'))
    return value


@dataclass(frozen=True)
class Field:
    """One writable key of a resource: its name in the API, the service's name, and its coercion."""

    api_name: str
    name: str
    coerce: Callable[[Any, str], Any] = to_text

    @property
    def keeps_blank(self) -> bool:
        """Whether an empty string is a value (a free text's) rather than "not given"."""
        return self.coerce is to_text


def read(data: Mapping[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """The service's keyword arguments for the keys of `data` that `fields` know; all the keys at
    fault are reported together."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        raw = data.get(field.api_name)
        if is_absent(raw) and not (field.keeps_blank and isinstance(raw, str) and not raw.strip()):
            continue
        try:
            values[field.name] = field.coerce(data[field.api_name], field.api_name)
        except InputError as error:
            for key, messages in error.messages.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise InputError(errors)
    return values


def resource_body(data: Any, wrapper: str) -> dict[str, Any]:
    """The object under the wrapper key (`{"client": {...}}`); a body sent without the wrapper is
    read as the object itself, since the keys beside it (api_token...) are ignored anyway."""
    if not isinstance(data, Mapping):
        raise InputError.on(wrapper, _("Envoyez un objet JSON."))
    inner = data.get(wrapper, data)
    if is_absent(inner):
        inner = {}
    if not isinstance(inner, Mapping):
        raise InputError.on(wrapper, _("Envoyez un objet JSON."))
    return dict(inner)
