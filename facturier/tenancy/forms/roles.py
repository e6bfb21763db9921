"""The custom-role form: a name and a checkbox per permission of the catalogue, shown in groups."""

from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from facturier.tenancy import permissions
from facturier.tenancy.models import Role


class RoleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom du rôle"), max_length=80)
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(p.code, p.label) for p in permissions.CATALOGUE],
    )

    @classmethod
    def for_role(cls, role: Role | None, data: Any = None) -> "RoleForm":
        initial = {"name": role.name, "permissions": sorted(role.permission_set)} if role else None
        return cls(data, initial=initial)

    def permission_groups(self) -> list[tuple[str | Promise, list[BoundWidget]]]:
        """The checkboxes grouped as the catalogue groups them, one fieldset each on the page."""
        checkboxes = {widget.data["value"]: widget for widget in self["permissions"].subwidgets}
        return [
            (group, [checkboxes[p.code] for p in perms]) for group, perms in permissions.grouped_catalogue()
        ]
