"""Paramètres > Webhooks: the account's webhooks, their delivery log, a test and a retry.

Every page needs `settings.manage`, as the writes do (services.py says why).
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError
from facturier.webhooks import services
from facturier.webhooks.delivery import MAX_ATTEMPTS
from facturier.webhooks.forms import WebhookForm
from facturier.webhooks.models import DeliveryState, Webhook, WebhookDelivery

PERMISSION = services.PERMISSION
LOG_SIZE = 50


@account_view(PERMISSION)
@require_http_methods(["GET"])
def webhook_list(request: AccountRequest) -> HttpResponse:
    webhooks = Webhook.objects.filter(account=request.account).order_by("kind", "pk")
    return render(
        request,
        "webhooks/list.html",
        {"account": request.account, "webhooks": webhooks, "read_only": request.account.is_read_only},
    )


@account_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def webhook_edit(request: AccountRequest, pk: int | None = None) -> HttpResponse:
    """Add a webhook (no pk), or change one and read its delivery log."""
    webhook = get_in_account(Webhook, request.account, pk=pk) if pk is not None else None
    form = WebhookForm.for_webhook(webhook, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            if webhook is None:
                saved = services.create_webhook(actor_for(request), request.account, **form.values())
            else:
                saved = services.update_webhook(actor_for(request), webhook, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Webhook enregistré.") if webhook else _("Webhook créé."))
            return redirect("webhooks:webhook_edit", slug=request.account.slug, pk=saved.pk)
    deliveries = (
        list(WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-pk")[:LOG_SIZE])
        if webhook
        else []
    )
    return render(
        request,
        "webhooks/form.html",
        {
            "account": request.account,
            "form": form,
            "webhook": webhook,
            "deliveries": deliveries,
            "log_size": LOG_SIZE,
            "max_attempts": MAX_ATTEMPTS,
            "failed": DeliveryState.FAILED,
            "read_only": request.account.is_read_only,
        },
    )


@account_view(PERMISSION)
@require_POST
def webhook_delete(request: AccountRequest, pk: int) -> HttpResponse:
    webhook = get_in_account(Webhook.objects.select_related("account"), request.account, pk=pk)
    try:
        services.delete_webhook(actor_for(request), webhook)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("webhooks:webhook_edit", slug=request.account.slug, pk=pk)
    messages.success(request, _("Webhook supprimé."))
    return redirect("webhooks:webhooks", slug=request.account.slug)


@account_view(PERMISSION)
@require_POST
def webhook_test(request: AccountRequest, pk: int) -> HttpResponse:
    webhook = get_in_account(Webhook.objects.select_related("account"), request.account, pk=pk)
    try:
        delivery = services.send_test(actor_for(request), webhook)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if delivery.state == DeliveryState.DELIVERED:
            messages.success(request, _("Test livré (réponse %(code)s).") % {"code": delivery.status_code})
        elif delivery.status_code is not None:
            messages.error(
                request,
                _("Le test a reçu la réponse %(code)s : seule une réponse 2xx vaut livraison.")
                % {"code": delivery.status_code},
            )
        else:
            messages.error(
                request, _("Le test n'a pas pu être livré : %(error)s") % {"error": delivery.error}
            )
    return redirect("webhooks:webhook_edit", slug=request.account.slug, pk=pk)


@account_view(PERMISSION)
@require_POST
def webhook_retry(request: AccountRequest, pk: int) -> HttpResponse:
    """Try a failed delivery (pk: the delivery) once more."""
    delivery = get_in_account(WebhookDelivery.objects.select_related("account"), request.account, pk=pk)
    try:
        services.retry_delivery(actor_for(request), delivery)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Nouvel envoi programmé : le journal en montre le résultat."))
    return redirect("webhooks:webhook_edit", slug=request.account.slug, pk=delivery.webhook_id)
