"""What the API answers at the addresses it does not serve, whatever the method.

Every answer is JSON, so an integration reads a refusal it can show rather than an HTML page (which some
clients take for a bad token). These views never change anything, so they need no CSRF check: without
the exemption a POST, PUT, PATCH or DELETE would get Django's HTML 403 before reaching them.

- A resource of the public API that Facturier does not manage (price lists, stock...): 422 saying so.
- A `.xml` address: 406, naming the `.json` address to call instead.
- Any other `.json` address: the public API's own 404 body.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from facturier.api.errors import NOT_FOUND, body

# The public API's resources Facturier does not manage (the first segment of their paths), and why.
UNMANAGED = {
    "price_lists": gettext_lazy("Facturier ne gère pas les listes de prix (price_lists)."),
    "warehouses": gettext_lazy("Facturier ne gère pas les stocks ni les entrepôts (warehouses)."),
    "warehouse_documents": gettext_lazy(
        "Facturier ne gère pas les stocks ni les documents d'entrepôt (warehouse_documents)."
    ),
    "warehouse_actions": gettext_lazy(
        "Facturier ne gère pas les stocks ni les mouvements de stock (warehouse_actions)."
    ),
    "recurrings": gettext_lazy("Facturier ne gère pas encore les factures récurrentes (recurrings)."),
    "departments": gettext_lazy(
        "Facturier ne gère pas de départements (departments) : un compte a une seule société, dont "
        "l'identité est dans les paramètres du compte."
    ),
    "issuers": gettext_lazy("Facturier ne gère pas d'émetteurs distincts du compte (issuers)."),
}
UNMANAGED_PATH = r"^(?P<resource>" + "|".join(UNMANAGED) + r")(?:/[\w./-]*)?\.(?:json|xml)$"


@csrf_exempt
def unmanaged(request: HttpRequest, resource: str) -> JsonResponse:
    return JsonResponse(body(str(UNMANAGED[resource])), status=422)


@csrf_exempt
def json_only(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    message = _("Facturier ne sert que du JSON : appelez l'adresse %(path)s.") % {
        "path": request.path.removesuffix(".xml") + ".json"
    }
    return JsonResponse(body(message), status=406)


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other `.json` address: the API's 404 body rather than an HTML page."""
    return JsonResponse(body(NOT_FOUND), status=404)
