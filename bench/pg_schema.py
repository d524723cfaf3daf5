"""A private PostgreSQL schema for one benchmark run."""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import sqlalchemy as sa


@contextlib.contextmanager
def private_schema(url: str, prefix: str, keep: bool = False) -> Iterator[str]:
    """Create a schema, yield a URL whose connections use it, drop it afterwards (or keep it)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'create schema "{schema}"'))
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        if keep:
            print(f"[bench] kept schema {schema}", file=sys.stderr, flush=True)
        else:
            with engine.begin() as connection:
                connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()
