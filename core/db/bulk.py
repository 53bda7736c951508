"""Write many rows' columns in one statement, without building ORM objects for them.

Tortoise's `bulk_update` builds one `CASE id WHEN … THEN …` expression per column through pypika,
which costs about 1 ms of CPU per row, and `bulk_create` wants a `Model` per row (~26 µs to build,
~5 µs per attribute set) and a second query to learn the ids. The engine writes every outbox row
before it is sent and again when it is acknowledged, so those costs sat right on the fan-out's hot
path. Here a row is any object with the model's attribute names (an ORM instance or a slotted
dataclass such as core.engine.outbox.OutboxRow). Enums go as their value, datetimes and UUIDs
through their field; plain values (str, int, bool, Decimal) as they are (see `_converter`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from operator import attrgetter
from typing import Any

from tortoise import fields as tf
from tortoise.models import Model

Convert = Callable[[Any, Any], Any]


def _enum_value(value: Any, _row: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _converter(field: tf.Field) -> Convert | None:
    """How a value of this field goes to the driver; None for plain types (str, int, bool, Decimal),
    which go as they are: the base `Field.to_db_value` would only run validators on them, most of
    its cost, and the engine bounds what it writes."""
    if getattr(field, "enum_type", None) is not None:
        return _enum_value
    if type(field).to_db_value is not tf.Field.to_db_value:
        return field.to_db_value  # type: ignore[return-value]  # datetimes (time zone), UUIDs (text on SQLite)
    return None


class _Layout:
    """The columns of `names` and how to read a row's values for them (plus its id when `with_id`)."""

    def __init__(self, model: type[Model], names: Sequence[str], *, with_id: bool = False) -> None:
        meta = model._meta
        fields = [meta.fields_map[name] for name in names]
        self.columns = [field.source_field or name for field, name in zip(fields, names)]
        self.converts = [(index, convert) for index, field in enumerate(fields) if (convert := _converter(field))]
        self.with_id = with_id
        self._get = attrgetter(*names, "id")  # two names at least: it always returns a tuple

    def values(self, row: Any) -> list[Any]:
        values = list(self._get(row))
        if not self.with_id:
            values.pop()
        for index, convert in self.converts:
            values[index] = convert(values[index], row)
        return values


def _marks(dialect: str, start: int, count: int) -> list[str]:
    return [f"${n}" for n in range(start, start + count)] if dialect == "postgres" else ["?"] * count


async def update_rows(model: type[Model], rows: Sequence[Any], fields: Sequence[str]) -> None:
    """Save `fields` of every row (already in the table, found by its `id`) in one prepared statement."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    layout = _Layout(model, fields, with_id=True)
    marks = _marks(db.capabilities.dialect, 1, len(layout.columns) + 1)
    assignments = ", ".join(f'"{column}"={mark}' for column, mark in zip(layout.columns, marks))
    pk = meta.fields_map[meta.pk_attr].source_field or meta.pk_attr
    query = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{pk}"={marks[-1]}'
    await db.execute_many(query, [layout.values(row) for row in rows])


async def insert_rows(model: type[Model], rows: Sequence[Any], fields: Sequence[str], key: str) -> None:
    """Insert the rows in one multi-row statement and set each row's `id` from the database.

    `key` names a unique column among `fields`: RETURNING gives no promise about the order of its
    rows, so each id is matched to its row by that key."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    layout = _Layout(model, fields)
    columns = layout.columns
    dialect = db.capabilities.dialect
    width = len(columns)
    tuples = ", ".join(f"({', '.join(_marks(dialect, 1 + i * width, width))})" for i in range(len(rows)))
    key_column = meta.fields_map[key].source_field or key
    pk = meta.fields_map[meta.pk_attr].source_field or meta.pk_attr
    query = (f'INSERT INTO "{meta.db_table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) VALUES {tuples} '
             f'RETURNING "{pk}", "{key_column}"')
    values = [value for row in rows for value in layout.values(row)]
    returned = await db.execute_query_dict(query, values)  # execute_query drops RETURNING rows on asyncpg
    ids = {record[key_column]: record[pk] for record in returned}
    for row in rows:
        row.id = ids[getattr(row, key)]
