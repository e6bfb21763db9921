"""What the few queries written in SQL share with the ORM: its columns and its conversion of values.

The hottest reads (the access gate on every account page, the sales list's two queries) are SQL
because building and compiling them through the ORM cost more than the database does. They still
name columns through the models and convert what the database returns exactly as the ORM would
(SQLite returns dates and datetimes as text, decimals as floats, booleans as integers).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col


def column(model: type[Model], name: str, alias: str) -> Col:
    """The column of `model`'s field `name` in a query where its table is called `alias`."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete column, not a relation's reverse side
    return field.get_col(alias)


def model_columns(model: type[Model], alias: str) -> list[Col]:
    """Every concrete column of `model`, in the order Model.from_db expects its values."""
    return [field.get_col(alias) for field in model._meta.concrete_fields]


def select_list(columns: Sequence[Col]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{col.alias}.{quote(col.target.column)}" for col in columns)


Converter = tuple[int, Callable[[Any, Any, Any], Any], Any]


def converters(expressions: Sequence[Any]) -> list[Converter]:
    """What the ORM passes each selected value through: (position, function, expression) triples.
    Queries whose columns never change work these out once (the gate: about fifty columns)."""
    return [
        (index, function, expression)
        for index, expression in enumerate(expressions)
        for function in connection.ops.get_db_converters(expression)
        + expression.get_db_converters(connection)
    ]


def converted(rows: Sequence[Sequence[Any]], conversions: list[Converter]) -> list[list[Any]]:
    """The rows as the ORM gives them: each value through the converters of its expression."""
    if not conversions:  # PostgreSQL returns most columns as Python wants them
        return [list(row) for row in rows]
    result = []
    for row in rows:
        values = list(row)
        for index, function, expression in conversions:
            values[index] = function(values[index], expression, connection)
        result.append(values)
    return result
