from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "facturier.reports"
    label = "reports"
    verbose_name = "Rapports"

    def ready(self) -> None:
        # The VAT summary follows what billing and purchases announce, in their transaction.
        from facturier.billing import events as billing_events
        from facturier.purchases import events as purchases_events
        from facturier.reports import summaries

        billing_events.issued.connect(summaries.on_issued, dispatch_uid="reports.issued")
        billing_events.sales_changed.connect(summaries.on_sales_changed, dispatch_uid="reports.sales_changed")
        purchases_events.expense_changed.connect(
            summaries.on_expense_changed, dispatch_uid="reports.expense_changed"
        )
