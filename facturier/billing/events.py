"""What billing announces, so the apps that build on it (reports, exports, einvoice) never get imported by it.

Django signals, sent by the services. Which kind of receiver goes where:
- checks that may refuse a change are receivers of a `*_requested` / `issuing` signal: they raise a
  ServiceError and the service's transaction rolls back (Signal.send lets exceptions through);
- receivers that keep derived data exact (the reports' VAT summary) run inside the service's transaction,
  so a crash can never leave them out of step with the documents;
- anything with an effect outside the database (webhooks, e-mails) waits for the commit itself
  (transaction.on_commit), as webhooks do from the audit trail.
Receivers connect in their app's AppConfig.ready(); tests/test_layers.py checks the import graph.
"""

from django.dispatch import Signal

# A draft is about to be issued, numbered already. Arguments: document, billing_settings (the account's,
# locked), shared (a dict the receivers of this issue's `issuing` and `issued` share: what one reads at
# `issuing` it finds again at `issued`, keyed by its app). A receiver raises ServiceError to refuse (the
# e-invoice checks of an account that issues e-invoices).
issuing = Signal()

# A document was issued, in the issuing transaction. Arguments: document (with its lines and VAT rows
# held, as prefetched), pdf (the bytes kept as its PDF), billing_settings, shared. Receivers keep what they
# derive from it: reports the VAT summary (an invoice issued now has no payment nor credit note yet; a
# credit note changes what its invoice declares). A receiver may return a file made of the PDF, as
# (IssuedFile kind, bytes): billing keeps it with the PDF, in the same INSERT (einvoice: its Factur-X).
issued = Signal()

# Issued sales documents whose amounts, payments or credit notes changed after their issue, in the
# changing transaction. Arguments: documents (a list). The reports' VAT summary follows them.
sales_changed = Signal()

# The file to attach when a document is e-mailed. Arguments: document. A receiver returns the bytes of
# a file to attach instead of the kept PDF (einvoice: the Factur-X, when the account attaches it), or None.
email_attachment = Signal()
