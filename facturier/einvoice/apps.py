from django.apps import AppConfig


class EinvoiceConfig(AppConfig):
    name = "facturier.einvoice"
    label = "einvoice"
    verbose_name = "Facturation électronique"

    def ready(self) -> None:
        # The e-invoicing settings decide at issue and at sending (policy.py); billing only announces.
        from facturier.billing import events
        from facturier.einvoice import policy

        events.issuing.connect(policy.on_issuing, dispatch_uid="einvoice.issuing")
        events.issued.connect(policy.on_issued, dispatch_uid="einvoice.issued")
        events.email_attachment.connect(policy.on_email_attachment, dispatch_uid="einvoice.email_attachment")
