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
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
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


def _prefix(search_text, phrase: str):
    """Whether a search text holds ``phrase`` at the start of a word."""
    return (" " + search_text).like("% " + literal(phrase) + "%")


def _holds_like(search_text, alternative: tuple[str, ...] | str):
    """The same test with ``LIKE`` over the text (SQLite)."""
    if isinstance(alternative, tuple):
        return and_(*(_prefix(search_text, word) for word in alternative))
    return _prefix(search_text, alternative)


def _exact_tsquery(alternative: tuple[str, ...] | str) -> str:
    """What ``_prefix`` tests, for ``@@``: each word of a tuple begins a word; a phrase's
    words follow each other, whole but for the last one, which is open."""
    if isinstance(alternative, tuple):
        return "(" + " & ".join(f"{word}:*" for word in alternative) + ")"
    *whole, last = alternative.split()
    return "(" + " <-> ".join([*whole, f"{last}:*"]) + ")"


def _fts5(alternative: tuple[str, ...] | str) -> str:
    """FTS5 for one alternative: every word of a tuple, or a phrase with its last word open."""
    if isinstance(alternative, tuple):
        return "(" + " AND ".join(f'"{word}"*' for word in alternative) + ")"
    return f'"{alternative}"*'


def _to_tsquery(query: str):
    """``to_tsquery('simple', query)`` with the query written into the statement, not bound.

    psycopg prepares a statement run five times, and PostgreSQL may then plan it once for
    any parameters: a plan made without the words (how many products hold them) reads a
    common word's every match, or scans for a rare one. Written in, the words are planned
    with. The query holds only plain words, ``:*``, ``&``, ``|``, ``<->`` and brackets.
    """
    return func.to_tsquery(literal_column("'simple'"), literal(query, literal_execute=True))


def _tsquery(alternative: tuple[str, ...] | str) -> str:
    """The same for ``to_tsquery``: ``&`` for every word, ``<->`` for a phrase."""
    if isinstance(alternative, tuple):
        return "(" + " & ".join(f"{word}:*" for word in alternative) + ")"
    return "(" + " <-> ".join(f"{word}:*" for word in alternative.split()) + ")"


def search_page(
    cards: Select,
    matches_from: Select,
    terms: list[str],
    *,
    sort: str,
    offset: int,
    limit: int,
    bound: int,
    groups: list | None = None,
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

    ``groups`` (``lexicon.Group``) widen the search: each is matched by its typed
    words, or one of its exact alternatives (stems, synonyms), or one of its
    corrections. Then the candidates rank in three tiers: those today's search finds
    (every typed term, in today's order), then those every group finds exactly, then
    those found through a correction.
    """
    dialect = db.session.get_bind().dialect.name
    groups = groups or []
    alternatives = [[tuple(g.typed), *g.exact, *g.fuzzy] for g in groups] or [
        [(term,)] for term in terms
    ]
    # Each candidate carries only what ranks it: the price (a correlated subquery over the
    # live promotions) only when the page sorts by it.
    columns = [Product.published_at, Product.name]
    if sort in ("price_asc", "price_desc"):
        columns.append(Product.price_now.label("price_now"))
    if dialect == "postgresql":
        tsquery = _to_tsquery(
            " & ".join("(" + " | ".join(map(_tsquery, group)) + ")" for group in alternatives)
        )
        # A stored generated column (migrations own it): no tokenising at query time.
        vector = literal_column("products.search_vector")
        candidates = (
            matches_from.add_columns(*columns, vector.label("vector"))
            .where(vector.op("@@")(tsquery))
            .limit(bound)
            .subquery("candidates")
        )
        typed_tsquery = _to_tsquery(" & ".join(f"{term}:*" for term in terms))

        def holds(c, wanted: list[list[tuple[str, ...] | str]]):
            # One lookup in the candidate's own vector, not a LIKE over its text per word.
            return c.vector.op("@@")(
                _to_tsquery(
                    " & ".join("(" + " | ".join(map(_exact_tsquery, one)) + ")" for one in wanted)
                )
            )

        def text_rank(as_typed):
            # What today's search finds ranks by today's rank, the rest by the widened one.
            vector = candidates.c.vector
            if as_typed is None:
                return func.ts_rank(vector, tsquery).desc(), candidates
            typed_rank = func.ts_rank(vector, typed_tsquery)
            return case(
                (as_typed, typed_rank), else_=func.ts_rank(vector, tsquery)
            ).desc(), candidates
    else:
        match = " AND ".join("(" + " OR ".join(map(_fts5, group)) + ")" for group in alternatives)
        candidates = (
            matches_from.add_columns(
                *columns, Product.search_text, literal_column("product_search.rank").label("rank")
            )
            .join(product_search, product_search.c.rowid == Product.id)
            .where(text("product_search MATCH :match").bindparams(match=match))
            .order_by(text("product_search.rank"))
            .limit(bound)
            .subquery("candidates")
        )
        # Today's best ``bound`` by bm25, to rank what today's search finds as it did.
        today = (
            select(
                literal_column("product_search.rowid").label("id"),
                literal_column("product_search.rank").label("rank"),
            )
            .select_from(product_search)
            .where(text("product_search MATCH :typed").bindparams(typed=_typed_match(terms)))
            .order_by(text("product_search.rank"))
            .limit(bound)
            .subquery("today")
        )

        def holds(c, wanted: list[list[tuple[str, ...] | str]]):
            return and_(*(or_(*(_holds_like(c.search_text, a) for a in one)) for one in wanted))

        def text_rank(as_typed):
            if as_typed is None:
                return candidates.c.rank.asc(), candidates
            joined = candidates.outerjoin(today, today.c.id == candidates.c.id)
            return func.coalesce(today.c.rank, candidates.c.rank).asc(), joined

    c = candidates.c
    orders = {
        "name": (c.name.asc(), c.id.asc()),
        "newest": (c.published_at.desc(), c.id.desc()),
    }
    if "price_now" in c:
        orders["price_asc"] = (c.price_now.asc(), c.id.asc())
        orders["price_desc"] = (c.price_now.desc(), c.id.desc())
    tier, named_alike, as_typed = _tiers(c, terms, groups, holds)
    by_text, source = text_rank(as_typed)
    ranked_order = (tier.asc(), name_score(c.name, terms).desc(), named_alike.desc())
    ranked_order += (by_text, c.id.desc())
    position = func.row_number().over(order_by=orders.get(sort, ranked_order)).label("position")
    ranked = (
        select(
            c.id,
            func.count().over().label("found"),
            position,
        )
        .select_from(source)
        .order_by(position)
        .offset(offset)
        .limit(limit)
        .subquery("ranked")
    )
    r = ranked.c
    # Only the page's few rows are read in full, in the order found above.
    return cards.join(ranked, r.id == Product.id).add_columns(r.found).order_by(r.position)


def _tiers(c, terms: list[str], groups: list, holds):
    """The tier of a candidate (0 as typed, 1 exactly, 2 corrected) and how many groups
    its name holds in another form; constants when nothing widens the search.

    ``holds(c, wanted)``: whether the candidate holds, for each list of ``wanted``, one
    of its alternatives (a tuple: each word begins a word; a phrase: its words in a row,
    the last one open)."""
    widened = [g for g in groups if g.exact or g.fuzzy]
    if not widened and [w for g in groups for w in g.typed] == terms:
        return literal(0), literal(0), None
    as_typed = holds(c, [[term] for term in terms])
    exactly = holds(c, [[tuple(g.typed), *g.exact] for g in groups])
    tier = case((as_typed, 0), (exactly, 1), else_=2)
    # What today's search finds keeps today's order: the other forms rank only the rest.
    named_alike = case(
        (as_typed, 0),
        else_=sum(
            (
                case((or_(*(_named(c.name, p) for p in (*g.exact, *g.fuzzy))), 1), else_=0)
                for g in widened
            ),
            start=literal(0),
        ),
    )
    return tier, named_alike, as_typed


def _typed_match(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def _named(name, phrase: str):
    spaced = " " + func.replace(func.lower(name), "-", " ")
    return spaced.like("% " + literal(phrase) + "%")
