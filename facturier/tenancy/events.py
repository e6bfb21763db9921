"""What tenancy announces to the apps built on it, which connect in their AppConfig.ready().

Tenancy never imports those apps: it sends, they listen.
"""

from django.dispatch import Signal

# Memberships were taken away (services.end_memberships). Sent inside the transaction that deletes them,
# with `access`: {user id: [account ids]}. Receivers stop what those users had set going in those accounts
# (exports cancels their pending export jobs), so it ends with the access or, on a rollback, not at all.
access_removed = Signal()
