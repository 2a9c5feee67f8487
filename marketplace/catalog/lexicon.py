"""What a buyer typed, understood: Indonesian stems, reduplication, the synonym table, typos.

A query is cut into words as search always did (``search_terms``). Each word then
becomes a group of alternatives, any of which finds a product:

- the word itself (today's search: as a prefix, so ``ampl`` finds amplang);
- its stem, by the Sastrawi stemmer (``menganyam``, ``anyaman`` -> ``anyam``;
  ``manisan`` -> ``manis``);
- what the synonym table says it means (``krupuk`` -> ``kerupuk``, ``crab`` ->
  ``kepiting``, ``shrimp paste`` -> ``terasi``: a key of up to three words);
Reduplication: ``manik-manik`` and ``oleh oleh`` are one word said twice (the second
is dropped as search always did), ``manik2`` is ``manik``.

When those find nothing, the query is read again leniently: a word that
begins no catalogue word in any of those ways is replaced by the catalogue's words
within 1 edit (words of 4-7 letters) or 2 edits (8 and more), counting a swap of two
neighbouring letters as one edit (``ampalng`` -> ``amplang``), as the typo-tolerant
engines do; a word with no such neighbour, and ``dan``/``and`` and the like, is left
out when other words remain. The corrections make the one offered ("Maksud Anda:
amplang?"). Only then: a word the vocabulary does not know yet (a product added
seconds ago) is never "corrected" while the words as typed find something.

The vocabulary is the words of the full-text index: on SQLite FTS5's own ``fts5vocab``
table (with how many products hold each word), on PostgreSQL the ``search_words`` table a
trigger fills from the stored tsvector (every word a product ever held; ``ts_stat`` over
every vector would cost 0.7 s at 100,000 products). Only a lenient reading needs it: it is
read then, and again at most every ``SEARCH_VOCABULARY_SECONDS``. The synonym table is
read again at every catalogue version (editing it moves the version). A word the
vocabulary holds but no public product does (a draft's, a deleted product's) can at
worst be offered as a correction that finds nothing.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from threading import Lock

from flask import current_app
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
from sqlalchemy import select, text

from marketplace.catalog.models import SearchSynonym
from marketplace.catalog.search import fold, search_terms
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.once import added_once
from marketplace.pagecache import request_catalog_version

#: Words that carry no meaning of their own in a product search.
STOPWORDS = frozenset(
    [
        "dan",
        "atau",
        "yang",
        "untuk",
        "dengan",
        "dari",
        "di",
        "ke",
        "and",
        "or",
        "the",
        "of",
        "with",
        "for",
        "a",
        "an",
        "in",
    ]
)
#: How many corrections of one word are searched for at most.
MAX_CORRECTIONS = 3
#: The longest synonym key, in words.
MAX_KEY_WORDS = 3
REDUPLICATED = re.compile(r"^([a-z]{2,})2$")


def max_edits(word: str) -> int:
    """How many edits a word may be from a catalogue word and still match it."""
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 7 else 2


@cache
def _stemmer():
    """Sastrawi's stemmer, made on first use (it loads its dictionary)."""
    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """The Indonesian stem of one folded word (Sastrawi: affixes off, by its dictionary)."""
    if not word.isalpha() or len(word) < 5:
        return word
    return _stemmer().stem(word)


@dataclass(frozen=True)
class Lexicon:
    #: typed word or phrase -> what it means in the listings
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: reads the catalogue's words with how many products hold each; called only when
    #: a query is read leniently (most searches never need the vocabulary)
    read_counts: Callable[[], dict[str, int]] = dict

    @cached_property
    def counts(self) -> dict[str, int]:
        return self.read_counts()

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(sorted(self.counts))

    @cached_property
    def by_length(self) -> dict[int, list[str]]:
        grouped: dict[int, list[str]] = {}
        for word in self.words:
            grouped.setdefault(len(word), []).append(word)
        return grouped

    def begins_a_word(self, prefix: str) -> bool:
        """Whether some catalogue word begins with ``prefix`` (each word of a phrase)."""
        for part in prefix.split():
            at = bisect.bisect_left(self.words, part)
            if at == len(self.words) or not self.words[at].startswith(part):
                return False
        return True

    def corrections(self, word: str) -> tuple[str, ...]:
        """The catalogue words nearest ``word`` within its edits, most products first."""
        edits = max_edits(word)
        if not edits or not self.words:
            return ()
        # A word whose length differs by more than the edits cannot be near enough.
        lengths = range(len(word) - edits, len(word) + edits + 1)
        candidates = [w for length in lengths for w in self.by_length.get(length, ())]
        near = process.extract(
            word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None
        )
        if not near:
            return ()
        best = min(distance for _, distance, _ in near)
        closest = sorted(
            (candidate for candidate, distance, _ in near if distance == best),
            key=lambda candidate: (-self.counts.get(candidate, 0), candidate),
        )
        return tuple(closest[:MAX_CORRECTIONS])


@dataclass(frozen=True)
class Group:
    """One thing the buyer asked for: a word (or a synonym's words) and its alternatives."""

    #: the words as typed (more than one for a synonym key such as "shrimp paste")
    typed: tuple[str, ...]
    #: phrases found exactly: stems and meanings (never the typed words themselves)
    exact: tuple[str, ...] = ()
    #: catalogue words within the edits, when nothing else matched
    fuzzy: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understood:
    #: today's terms: the words exactly as typed
    typed: list[str]
    groups: list[Group]
    #: the query with its typos corrected, or None
    correction: str | None = None


def _words(query: str) -> list[str]:
    """The query's words, reduplication undone (``manik2`` -> ``manik``), once each."""
    words = [REDUPLICATED.sub(r"\1", word) for word in search_terms(query)]
    return list(dict.fromkeys(words))


def understand(query: str, lexicon: Lexicon, leniently: bool = False) -> Understood:
    """The groups a query searches for. Leniently (when those find nothing): typos
    corrected, words that match nothing left out, with the correction to offer."""
    typed = search_terms(query)
    words = _words(query)
    if not leniently:
        return Understood(typed=typed, groups=_groups(words, lexicon, lenient=False))
    meaningful = [w for w in words if w not in STOPWORDS] or words
    groups = _groups(meaningful, lexicon, lenient=True)
    if not groups:
        groups = [Group(typed=(words[0],))] if words else []
    corrected = [g.fuzzy[0] if g.fuzzy else " ".join(g.typed) for g in groups]
    return Understood(
        typed=typed,
        groups=groups,
        correction=" ".join(corrected) if any(g.fuzzy for g in groups) else None,
    )


def _groups(words: list[str], lexicon: Lexicon, lenient: bool) -> list[Group]:
    groups: list[Group] = []
    at = 0
    while at < len(words):
        for size in range(min(MAX_KEY_WORDS, len(words) - at), 1, -1):
            key = " ".join(words[at : at + size])
            if key in lexicon.synonyms:
                groups.append(
                    Group(typed=tuple(words[at : at + size]), exact=lexicon.synonyms[key])
                )
                at += size
                break
        else:
            group = _word_group(words[at], lexicon, lenient)
            at += 1
            if group is not None:
                groups.append(group)
    return groups


def _word_group(word: str, lexicon: Lexicon, lenient: bool) -> Group | None:
    """One word's group. Lenient: its corrections when nothing else begins a catalogue
    word, None when nothing matches at all."""
    exact: list[str] = []
    root = stem(word)
    # (Read strictly, a stem no catalogue word begins with just finds nothing.)
    if root != word and len(root) >= 3 and (not lenient or lexicon.begins_a_word(root)):
        exact.append(root)
    for form in (word, root):
        exact.extend(lexicon.synonyms.get(form, ()))
    exact = [phrase for phrase in dict.fromkeys(exact) if phrase != word]
    if not lenient or exact or lexicon.begins_a_word(word):
        return Group(typed=(word,), exact=tuple(exact))
    fuzzy = lexicon.corrections(word)
    return Group(typed=(word,), fuzzy=fuzzy) if fuzzy else None


# --- the vocabulary, per catalogue version ------------------------------------------------


def read_vocabulary() -> dict[str, int]:
    """The words of the full-text index and how many products hold each (PostgreSQL: 1)."""
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(text("SELECT word, 1 FROM search_words"))
    else:
        rows = db.session.execute(text("SELECT term, doc FROM product_search_vocab"))
    return {word: count for word, count in rows if word.isalnum()}


def read_synonyms() -> dict[str, tuple[str, ...]]:
    synonyms: dict[str, list[str]] = {}
    for word, means in db.session.execute(
        select(SearchSynonym.word, SearchSynonym.means).order_by(SearchSynonym.id)
    ):
        synonyms.setdefault(word, []).append(means)
    return {word: tuple(means) for word, means in synonyms.items()}


class LexiconCache:
    """The process's lexicon, per catalogue version (see the module's docstring)."""

    def __init__(self, every_seconds: float) -> None:
        self._lock = Lock()
        self._every = every_seconds
        self._version: int | None = None
        self._vocabulary: dict[str, int] | None = None
        self._read_at = float("-inf")
        self._lexicon = Lexicon()

    def get(self, version: int) -> Lexicon:
        with self._lock:
            if version != self._version:
                self._lexicon = Lexicon(synonyms=read_synonyms(), read_counts=self.vocabulary)
                self._version = version
            return self._lexicon

    def vocabulary(self) -> dict[str, int]:
        """The vocabulary, read again when the last read is older than the interval."""
        with self._lock:
            now = time.monotonic()
            if self._vocabulary is None or now - self._read_at >= self._every:
                self._vocabulary = read_vocabulary()
                self._read_at = now
            return self._vocabulary


def current_lexicon() -> Lexicon:
    cache = current_app.extensions.get("search_lexicon")
    if cache is None:
        seconds = current_app.config["SEARCH_VOCABULARY_SECONDS"]
        cache = current_app.extensions.setdefault("search_lexicon", LexiconCache(seconds))
    return cache.get(request_catalog_version())


def understand_query(query: str, leniently: bool = False) -> Understood:
    """``understand`` against the catalogue as it is now; only the typed words when the
    app's ``SEARCH_TOLERANT`` is off."""
    if not current_app.config.get("SEARCH_TOLERANT", True):
        terms = search_terms(query)
        return Understood(typed=terms, groups=[Group(typed=(t,)) for t in terms])
    return understand(query, current_lexicon(), leniently)


def fold_phrase(value: str) -> str:
    """A synonym's side as search cuts it: folded words, one space between them."""
    return " ".join(re.findall(r"[0-9a-z]+", fold(value)))


def closest_categories(query: str, categories: list, limit: int = 3) -> list:
    """The categories whose names (Indonesian or English) come nearest the query's words,
    for a page that found nothing; as many as ``limit`` whatever the query."""
    words = _words(query)
    synonyms = current_lexicon().synonyms if words else {}
    wanted = set(words) | {p for w in words for m in synonyms.get(w, ()) for p in m.split()}

    def nearness(category) -> float:
        names = fold_phrase(f"{category.name} {category.name_en} {category.slug}").split()
        return max((fuzz.ratio(w, n) for w in wanted for n in names), default=0.0)

    return sorted(categories, key=lambda c: (-nearness(c), c.position))[:limit]


# --- the synonym table, as the PKK edits it ------------------------------------------------


class SynonymError(MarketplaceError):
    pass


def synonym_entries() -> list[SearchSynonym]:
    return list(
        db.session.scalars(select(SearchSynonym).order_by(SearchSynonym.word, SearchSynonym.means))
    )


def add_synonym(word: str, means: str) -> SearchSynonym:
    """A word buyers type and what it means in the listings, both folded as search cuts them."""
    word, means = fold_phrase(word), fold_phrase(means)
    if not word:
        raise SynonymError(_l("Tulis kata yang diketik pembeli."), "word")
    if len(word.split()) > MAX_KEY_WORDS or len(word) > 60:
        raise SynonymError(_l("Paling banyak tiga kata dan 60 huruf."), "word")
    if not means:
        raise SynonymError(_l("Tulis kata yang dipakai di produk."), "means")
    if len(means) > 120:
        raise SynonymError(_l("Paling banyak 120 huruf."), "means")
    if word == means:
        raise SynonymError(_l("Kata yang diketik dan artinya sama; tidak perlu dicatat."), "means")
    exists = db.session.scalar(
        select(SearchSynonym.id).where(SearchSynonym.word == word, SearchSynonym.means == means)
    )
    if exists:
        raise SynonymError(_l("Padanan ini sudah tercatat."), "word")
    synonym = SearchSynonym(word=word, means=means)
    # unique (word, means): the same pair sent twice at once meets the first's row there
    if not added_once(synonym):
        raise SynonymError(_l("Padanan ini sudah tercatat."), "word")
    return synonym


def remove_synonym(synonym_id: int) -> None:
    synonym = db.session.get(SearchSynonym, synonym_id)
    if synonym is not None:
        db.session.delete(synonym)
        db.session.flush()
