"""Statements of the live path: built once, and prepared once on PostgreSQL.

`column IN (:a, :b, …)` is a different statement for every length of the list: PostgreSQL
parses and plans it anew and psycopg converts it anew (it caches only statements of at most
50 parameters). `one_of` and `pair_of` take their values as named parameters instead, one
array per column on PostgreSQL, so a statement's text does not depend on how many values it
tests; `per_dialect` builds such a statement once (docs/benchmarks.md). Other databases get
the plain `IN`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from tracker.extensions import db

P = ParamSpec("P")
T = TypeVar("T")


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def per_dialect(build: Callable[P, T]) -> Callable[P, T]:
    """`build`, called once per database dialect and arguments (which must be hashable)."""
    cached = functools.cache(lambda _dialect, *args, **kwargs: build(*args, **kwargs))

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> T:
        return cached(db.engine.dialect.name, *args, **kwargs)

    return built


def one_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column IN :name`; the values are given at execution as `{name: values}` (`values`)."""
    if _on_postgresql():
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def values(name: str, found: Iterable[Any]) -> dict[str, list[Any]]:
    """The parameter of `one_of(…, name)`: the distinct values, sorted."""
    return {name: sorted(set(found))}


def pair_of(columns: tuple[ColumnElement[Any], ColumnElement[Any]], name: str):
    """`(a, b) IN :name`; the pairs are given at execution by `pairs(name, …)`."""
    if _on_postgresql():
        first, second = columns
        unnested = (
            func.unnest(
                bindparam(f"{name}_a", type_=ARRAY(first.type)),
                bindparam(f"{name}_b", type_=ARRAY(second.type)),
            )
            .table_valued("a", "b")
            .render_derived()
        )
        return tuple_(*columns).in_(select(unnested.c.a, unnested.c.b))
    return tuple_(*columns).in_(bindparam(name, expanding=True))


def pairs(name: str, found: Iterable[Sequence[Any]]) -> dict[str, list[Any]]:
    """The parameters of `pair_of(…, name)`: the distinct pairs, sorted."""
    ordered = sorted(set(map(tuple, found)))
    if _on_postgresql():
        return {f"{name}_a": [p[0] for p in ordered], f"{name}_b": [p[1] for p in ordered]}
    return {name: ordered}
