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
from datetime import UTC
from enum import Enum
from itertools import repeat
from operator import attrgetter, is_
from typing import Any

from tortoise import fields as tf
from tortoise.models import Model

Convert = Callable[[Any, Any], Any]


def _enum_value(value: Any, _row: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _utc_datetime(field: tf.DatetimeField) -> Convert:
    """A datetime that is already in UTC goes as it is: tortoise's `to_db_value` would convert it to
    the configured zone, UTC (core/db/__init__.py), at about 1 µs per value, three per outbox row.
    Anything else (naive, another zone, None for an auto_now_add column) goes through the field."""
    def convert(value: Any, row: Any) -> Any:
        if value is not None and value.tzinfo is UTC and not field.auto_now:
            return value
        return field.to_db_value(value, row)
    return convert


def _converter(field: tf.Field) -> Convert | None:
    """How a value of this field goes to the driver; None for plain types (str, int, bool, Decimal),
    which go as they are: the base `Field.to_db_value` would only run validators on them, most of
    its cost, and the engine bounds what it writes."""
    if getattr(field, "enum_type", None) is not None:
        return _enum_value
    if isinstance(field, tf.DatetimeField):
        return _utc_datetime(field)
    if type(field).to_db_value is not tf.Field.to_db_value:
        return field.to_db_value  # type: ignore[return-value]  # datetimes (time zone), UUIDs (text on SQLite)
    return None


class _Layout:
    """The columns of `names` and how to read a row's values for them (plus its id when `with_id`)."""

    def __init__(self, model: type[Model], names: Sequence[str], *, with_id: bool = False) -> None:
        meta = model._meta
        fields = [meta.fields_map[name] for name in names]
        self.columns = [field.source_field or name for field, name in zip(fields, names)]
        self.converters = [_converter(field) for field in fields]
        # tortoise stamps these on each instance it writes, so they are never shared: an auto_now
        # column always, an auto_now_add one when the row leaves it unset
        self._auto_now = {i for i, field in enumerate(fields) if getattr(field, "auto_now", False)}
        self._auto_now_add = {i for i, field in enumerate(fields) if getattr(field, "auto_now_add", False)}
        self.converts = [(index, convert) for index, convert in enumerate(self.converters) if convert]
        self.with_id = with_id
        self._get = attrgetter(*names, "id")  # two names at least: it always returns a tuple

    def values(self, row: Any) -> list[Any]:
        values = list(self._get(row))
        if not self.with_id:
            values.pop()
        for index, convert in self.converts:
            values[index] = convert(values[index], row)
        return values

    def shared(self, rows: Sequence[Any]) -> tuple[list[int], list[tuple[Any, ...]], list[Any]]:
        """(the columns whose values differ between the rows, each row's values for those columns,
        the one converted value of every other column): a value is shared only when every row holds
        the very same object, so 0.10 and 0.1 are never merged. Column by column, so that the
        comparisons and conversions run in C (zip, map, operator.is_) rather than once per value in Python."""
        columns = list(zip(*map(self._get, rows)))  # one tuple per column (the id last, unused here)
        varying: list[int] = []
        varying_values: list[Sequence[Any]] = []
        constants: list[Any] = []
        for c, convert in enumerate(self.converters):
            column = columns[c]
            first = column[0]
            if c in self._auto_now or (c in self._auto_now_add and first is None) or not all(map(is_, column, repeat(first))):
                varying.append(c)
                varying_values.append(list(map(convert, column, rows)) if convert else column)
            else:
                constants.append(convert(first, rows[0]) if convert else first)
        return varying, list(zip(*varying_values)) if varying else [()] * len(rows), constants


def _marks(dialect: str, start: int, count: int) -> list[str]:
    return [f"${n}" for n in range(start, start + count)] if dialect == "postgres" else ["?"] * count


def _tuples(dialect: str, width: int, count: int) -> str:
    """`count` rows of `width` placeholders for a VALUES list, numbered on PostgreSQL."""
    if dialect != "postgres":
        return ", ".join([f"({', '.join('?' * width)})"] * count)
    return ", ".join(f"({', '.join(_marks(dialect, 1 + i * width, width))})" for i in range(count))


# Bound parameters per statement: PostgreSQL (asyncpg) takes at most 32,767, SQLite 32,766.
MAX_PARAMETERS = 32_000


def _chunks(rows: Sequence[Any], width: int) -> list[Sequence[Any]]:
    size = max(1, MAX_PARAMETERS // width)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


async def update_rows(model: type[Model], rows: Sequence[Any], fields: Sequence[str]) -> None:
    """Save `fields` of every row (already in the table, found by its `id`).

    On SQLite this is one `UPDATE … FROM (VALUES …)` per chunk: the driver runs a statement on its
    own thread and takes the GIL back after every step, and an executemany steps once per row, so
    on a busy event loop each row waited for a GIL hand-over. asyncpg runs on the event loop itself,
    so PostgreSQL gets a prepared executemany."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    layout = _Layout(model, fields, with_id=True)
    table = meta.db_table
    pk = meta.fields_map[meta.pk_attr].source_field or meta.pk_attr
    if db.capabilities.dialect == "sqlite":
        for chunk in _chunks(rows, len(layout.columns) + 1):
            varying, per_row, constants = layout.shared(chunk)  # shared values bound once (see insert_rows)
            assignments = ", ".join(f'"{column}"=v.column{varying.index(c) + 2}' if c in varying else f'"{column}"=?'
                                    for c, column in enumerate(layout.columns))
            values = list(constants)  # their `?` come first in the statement's text
            for row, row_values in zip(chunk, per_row):
                values.append(row.id)
                values += row_values
            query = (f'UPDATE "{table}" SET {assignments} FROM (VALUES {_tuples("sqlite", len(varying) + 1, len(chunk))}) '
                     f'AS v WHERE "{table}"."{pk}"=v.column1')
            await db.execute_query(query, values)
        return
    marks = _marks(db.capabilities.dialect, 1, len(layout.columns) + 1)
    assignments = ", ".join(f'"{column}"={mark}' for column, mark in zip(layout.columns, marks))
    query = f'UPDATE "{table}" SET {assignments} WHERE "{pk}"={marks[-1]}'
    await db.execute_many(query, [layout.values(row) for row in rows])


async def insert_rows(model: type[Model], rows: Sequence[Any], fields: Sequence[str], key: str) -> None:
    """Insert the rows, a few thousand per statement, and set each row's `id`.

    PostgreSQL: `RETURNING` the ids, matched to the rows by `key` (a unique column among `fields`),
    as RETURNING promises no order. SQLite: the statement computes the ids itself, above both the
    table's largest id and its AUTOINCREMENT counter, so each chunk is a single step of the driver
    (see `update_rows` for why steps cost on SQLite) and a single round trip to its thread."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    layout = _Layout(model, fields)
    table = meta.db_table
    pk = meta.fields_map[meta.pk_attr].source_field or meta.pk_attr
    columns = ", ".join(f'"{column}"' for column in layout.columns)
    if db.capabilities.dialect == "sqlite":
        # Each row's id is the table's top id (its largest, or the AUTOINCREMENT counter if higher)
        # plus the row's position, computed inside the one statement, which SQLite runs atomically.
        # Rows go in by position, so the last one inserted has the largest id, and that is what
        # `execute_insert` reports: the chunk's ids follow. A value that every row of the chunk
        # shares (the event, the symbol, the status of a fan-out's rows) is bound once, not per
        # row: binding runs on the driver's thread and holds the GIL, so the event loop waits for it.
        top = (f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name='{table}'), 0), "
               f'COALESCE((SELECT MAX("{pk}") FROM "{table}"), 0)) AS id')
        for chunk in _chunks(rows, len(layout.columns) + 1):
            varying, per_row, constants = layout.shared(chunk)
            picks = ", ".join(f"v.column{varying.index(c) + 2}" if c in varying else "?"
                              for c in range(len(layout.columns)))
            values = list(constants)  # their `?` come first in the statement's text
            for position, row_values in enumerate(per_row, start=1):
                values.append(position)
                values += row_values
            query = (f'INSERT INTO "{table}" ("{pk}", {columns}) SELECT top.id + v.column1, {picks} '
                     f'FROM (VALUES {_tuples("sqlite", len(varying) + 1, len(chunk))}) AS v, ({top}) AS top '
                     f'ORDER BY v.column1')
            last = await db.execute_insert(query, values)
            for position, row in enumerate(chunk, start=1):
                row.id = last - len(chunk) + position
        return
    key_column = meta.fields_map[key].source_field or key
    width = len(layout.columns)
    for chunk in _chunks(rows, width):
        tuples = _tuples("postgres", width, len(chunk))
        query = f'INSERT INTO "{table}" ({columns}) VALUES {tuples} RETURNING "{pk}", "{key_column}"'
        returned = await db.execute_query_dict(query, [value for row in chunk for value in layout.values(row)])
        ids = {record[key_column]: record[pk] for record in returned}  # execute_query drops RETURNING rows on asyncpg
        for row in chunk:
            row.id = ids[getattr(row, key)]
