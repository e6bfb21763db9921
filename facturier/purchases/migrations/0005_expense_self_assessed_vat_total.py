"""The VAT an expense self-assesses, stored once on the expense (its rows add up to it).

Existing expenses take the sum of their rows, as they were declared and exported: nothing moves."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce


def sum_the_rows(apps, schema_editor):
    Expense = apps.get_model("purchases", "Expense")
    ExpenseVatLine = apps.get_model("purchases", "ExpenseVatLine")
    zero = models.Value(Decimal("0"), output_field=models.DecimalField(max_digits=16, decimal_places=2))

    def summed(field):
        rows = (
            ExpenseVatLine.objects.filter(expense_id=OuterRef("pk"))
            .values("expense_id")
            .annotate(total=Sum(field))
            .values("total")
        )
        return Coalesce(Subquery(rows), zero)

    Expense.objects.update(
        self_assessed_vat_total=summed("self_assessed_vat"),
        self_assessed_vat_total_eur=summed("self_assessed_vat_eur"),
    )


class Migration(migrations.Migration):
    dependencies = [("purchases", "0004_existing_expenses_keep_their_deduction_date")]

    operations = [
        migrations.AddField(
            model_name="expense",
            name="self_assessed_vat_total",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=16),
        ),
        migrations.AddField(
            model_name="expense",
            name="self_assessed_vat_total_eur",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=16),
        ),
        migrations.RunPython(sum_the_rows, migrations.RunPython.noop),
    ]
