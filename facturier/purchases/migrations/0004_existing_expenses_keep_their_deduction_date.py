"""Expenses recorded before the VAT regime setting keep the rule they were booked and exported under.

Until purchases 0003, the VAT of every expense was deductible at its invoice date (the FEC posted it to
44566 at once, the register dated it so). The new default, services deductible at payment, applied to
those expenses would move VAT already declared and exported: their next payment would post the deduction
a second time. They are therefore marked as they were treated: deductible at the invoice date."""

from django.db import migrations


def keep_invoice_date(apps, schema_editor):
    apps.get_model("purchases", "Expense").objects.update(vat_on_debits=True)


class Migration(migrations.Migration):
    dependencies = [("purchases", "0003_vat_regime_and_self_assessment")]

    operations = [migrations.RunPython(keep_invoice_date, migrations.RunPython.noop)]
