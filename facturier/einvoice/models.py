"""What an account chooses about e-invoicing ("Paramètres > Facturation électronique")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.tenancy.models import Account


class Profile(models.TextChoices):
    """The Factur-X profiles an account may issue (regulatory.md §3.2): all three are EN 16931 invoices."""

    BASIC = "basic", _("BASIC")
    EN16931 = "en16931", _("EN 16931 (recommandé)")
    EXTENDED = "extended", _("EXTENDED")


class EInvoiceSettings(models.Model):
    """One row per account, created with the defaults on the first save (`for_account`); pages and
    documents read it through `read`, which never writes (a GET changes nothing)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")
    profile = models.CharField(
        _("profil Factur-X"), max_length=10, choices=Profile.choices, default=Profile.EN16931
    )
    attach_to_emails = models.BooleanField(
        _("joindre la facture Factur-X aux emails"),
        default=True,
        help_text=_(
            "Les factures et avoirs envoyés par email portent le PDF Factur-X (lisible par une personne "
            "comme par un logiciel) à la place du PDF simple, quand ils sont complets."
        ),
    )
    issues_einvoices = models.BooleanField(
        _("mon entreprise émet des factures électroniques"),
        default=False,
        help_text=_(
            "Obligatoire pour les grandes entreprises et les ETI depuis le 1er septembre 2026, et pour "
            "toutes les entreprises à partir du 1er septembre 2027. Une fois cochée, une facture ou un "
            "avoir à une entreprise établie en France, incomplet pour la facturation électronique, ne peut "
            "plus être émis (ventes aux particuliers et à l'étranger : simple avertissement)."
        ),
    )

    class Meta:
        verbose_name = _("paramètres de facturation électronique")

    def __str__(self) -> str:
        return f"e-invoicing settings of {self.account_id}"

    @classmethod
    def for_account(cls, account: Account) -> "EInvoiceSettings":
        """The stored row, created with the defaults when the account has none."""
        found, _created = cls.objects.get_or_create(account=account)
        return found

    @classmethod
    def read(cls, account: Account) -> "EInvoiceSettings":
        """The stored row, or unsaved defaults: reading never creates it."""
        found = cls.objects.filter(account=account).first()
        return found if found is not None else cls(account=account)
