from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "facturier.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        # Documents and expenses that went to the books may be protected (Paramètres > Comptabilité).
        from facturier.exports import marks
        from facturier.tenancy.locking import exported_change_requested

        exported_change_requested.connect(marks.on_exported_change, dispatch_uid="exports.exported_change")

        # Someone who loses access to an account gets no export of it that they asked for before.
        from facturier.exports import jobs
        from facturier.tenancy.events import access_removed

        access_removed.connect(jobs.cancel_for_removed_access, dispatch_uid="exports.access_removed")
