"""Full-text search behind one function: SQLite FTS5 or PostgreSQL tsvector.

Both index ``products.search_text``, which the app fills lower-cased and
without accents; the query is cut into plain words first, so no search
syntax (quotes, ``*``, ``OR``, ``NEAR(``) ever reaches the database.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
)

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


def name_score(name, terms: list[str]):
    """How many of the terms begin a word of ``name``: products named so rank first.

    Worked out only for the bounded candidates, so plain ``LIKE`` is cheap; the terms
    are plain words (``[0-9a-z]+``), never a pattern.
    """
    spaced = " " + func.replace(func.lower(name), "-", " ")
    return sum(
        (case((spaced.like("% " + literal(term) + "%"), 1), else_=0) for term in terms),
        start=literal(0),
    )


def search_page(
    cards: Select,
    matches_from: Select,
    terms: list[str],
    *,
    sort: str,
    offset: int,
    limit: int,
    bound: int,
) -> Select:
    """``cards`` (over Product) for one page of the matches of every term, as prefixes.

    ``matches_from`` selects the ids of the products that may be found (public,
    filtered). At most ``bound`` of them are taken through the full-text index, before
    anything is ranked or counted, so a word that matches a tenth of a large catalogue
    costs about what it costs in a small one. PostgreSQL stops reading matches at
    ``bound``, in the order it reads them (the planner picks the GIN index for a rare
    word, an early-stopping scan for a common one); SQLite takes FTS5's best ``bound``
    by bm25.
    Only those are ranked: names holding the words first, then the text rank
    (``ts_rank``, bm25). The statement also selects ``found``, how many candidates
    there were (``bound`` means "at least").
    """
    dialect = db.session.get_bind().dialect.name
    columns = (Product.published_at, Product.price_now.label("price_now"), Product.name)
    if dialect == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"{term}:*" for term in terms))
        # A stored generated column (migrations own it): no tokenising at query time.
        vector = literal_column("products.search_vector")
        candidates = (
            matches_from.add_columns(*columns, vector.label("vector"))
            .where(vector.op("@@")(tsquery))
            .limit(bound)
            .subquery("candidates")
        )
        text_rank = func.ts_rank(candidates.c.vector, tsquery).desc()
    else:
        match = " ".join(f'"{term}"*' for term in terms)
        candidates = (
            matches_from.add_columns(*columns, literal_column("product_search.rank").label("rank"))
            .join(product_search, product_search.c.rowid == Product.id)
            .where(text("product_search MATCH :match").bindparams(match=match))
            .order_by(text("product_search.rank"))
            .limit(bound)
            .subquery("candidates")
        )
        text_rank = candidates.c.rank.asc()
    c = candidates.c
    orders = {
        "price_asc": (c.price_now.asc(), c.id.asc()),
        "price_desc": (c.price_now.desc(), c.id.desc()),
        "name": (c.name.asc(), c.id.asc()),
        "newest": (c.published_at.desc(), c.id.desc()),
    }
    ranked_order = (name_score(c.name, terms).desc(), text_rank, c.id.desc())
    position = func.row_number().over(order_by=orders.get(sort, ranked_order)).label("position")
    ranked = (
        select(c.id, func.count().over().label("found"), position)
        .order_by(position)
        .offset(offset)
        .limit(limit)
        .subquery("ranked")
    )
    r = ranked.c
    # Only the page's few rows are read in full, in the order found above.
    return cards.join(ranked, r.id == Product.id).add_columns(r.found).order_by(r.position)
