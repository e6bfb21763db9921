"""What purchases announce (billing/events.py says how receivers are meant to behave).

Sent by the services inside their transaction, so the reports' VAT summary never falls out of step.
"""

from django.dispatch import Signal

# An expense was created, changed, paid, unpaid or deleted. Arguments: expense (a deleted one keeps its
# account and pk). The reports' VAT summary follows it.
expense_changed = Signal()
