"""Full-text search behind one function: SQLite FTS5 or PostgreSQL tsvector.

Both index ``products.search_text``, which the app fills lower-cased and
without accents; the query is cut into plain words first, so no search
syntax (quotes, ``*``, ``OR``, ``NEAR(``) ever reaches the database.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Column, Integer, MetaData, Select, Table, func, literal_column, text

from marketplace.catalog.models import Product
from marketplace.db import db

MAX_TERMS = 8
MAX_QUERY_LENGTH = 200

#: The FTS5 table lives outside the models' metadata: migrations own it.
product_search = Table("product_search", MetaData(), Column("rowid", Integer, primary_key=True))


def fold(value: str) -> str:
    """Lower-case and drop accents: ``Dodol Rumput Laut`` and ``dódol`` match alike."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(query: str) -> list[str]:
    """The plain words of a query, at most ``MAX_TERMS`` of them."""
    words = re.findall(r"[0-9a-z]+", fold(query[:MAX_QUERY_LENGTH]))
    return list(dict.fromkeys(words))[:MAX_TERMS]


def build_search_text(*parts: str | None) -> str:
    """The text a product is found by, in the same words a query is cut into."""
    return " ".join(re.findall(r"[0-9a-z]+", fold(" ".join(part for part in parts if part))))


def apply_search(stmt: Select, terms: list[str]) -> tuple[Select, object]:
    """Restrict ``stmt`` (over Product) to matches of every term, as prefixes.

    Returns the statement and an expression to order by relevance (best first).
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"{term}:*" for term in terms))
        # A stored generated column (migrations own it): no tokenising at query time.
        vector = literal_column("products.search_vector")
        stmt = stmt.where(vector.op("@@")(tsquery))
        return stmt, func.ts_rank(vector, tsquery).desc()
    match = " ".join(f'"{term}"*' for term in terms)
    stmt = stmt.join(product_search, product_search.c.rowid == Product.id).where(
        text("product_search MATCH :match").bindparams(match=match)
    )
    return stmt, text("product_search.rank")
