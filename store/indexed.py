"""`FROM table INDEXED BY index` on SQLite, the table itself elsewhere.

SQLite's planner picks an index from the query's terms and its statistics; for a claim
that walks a small partial index in order and stops at the first row that may go, it
preferred scanning the whole table in key order, or sorting every due row, as soon as
the statistics said so (docs/performance.md). Where the plan must not depend on that,
the query names its index. PostgreSQL's planner is checked by the same tests instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias, FromClause

NOT_INDEXED = "NOT INDEXED"  # the table in its own (primary key) order, no other index


class IndexedBy(Alias):
    """`table AS name INDEXED BY index` (or `NOT INDEXED`) on SQLite; `table AS name` on
    other databases."""

    inherit_cache = True
    index: str

    @classmethod
    def of(cls, table: FromClause, index: str, name: str) -> IndexedBy:
        alias = cls._construct(table, name=name)
        alias.index = index
        return alias

    def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> Any:
        key = super()._gen_cache_key(anon_map, bindparams)
        return None if key is None else (*key, self.index)


@compiles(IndexedBy)
def _alias(element: IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.visit_alias(element, **kw))  # type: ignore[no-untyped-call]


@compiles(IndexedBy, "sqlite")
def _indexed_by(element: IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    text = str(compiler.visit_alias(element, **kw))  # type: ignore[no-untyped-call]
    if kw.get("asfrom") and not kw.get("lateral"):
        by = f"INDEXED BY {compiler.preparer.quote(element.index)}"
        text += f" {by if element.index != NOT_INDEXED else NOT_INDEXED}"
    return text
