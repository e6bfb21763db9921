"""The form of "Date de protection des documents". The rules (a reason to move the date backwards)
live in services.set_lock_date; the page shows its refusal on the field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LockDateForm(forms.Form):
    locked_until = forms.DateField(
        label=_("Nouvelle date de protection"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Laissez vide pour retirer la protection."),
    )
    reason = forms.CharField(
        label=_("Raison"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire pour reculer ou retirer la date."),
    )
