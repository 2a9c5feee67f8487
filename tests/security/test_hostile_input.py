"""The sweep that can fail: every route of the access table, every form field, query
parameter and id in its path, sent hostile values as the role that may use it.

Never a 5xx, a refused request (4xx) leaves the database as it was, and a refused form's
summary of errors links only to fields its page has. The corpus is
chosen per kind of field rather than crossed in full: a number field gets every number
trap, a text field the text traps (the SQL and FTS operators, NUL, 5,000 characters,
emoji, a lone surrogate), an id in a path the ids that cannot name a row. Crossing every
value with every field of every route would be thousands of requests more and find
nothing the per-field walk does not (each field is parsed on its own).
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from sqlalchemy import BigInteger, Integer, func, select

from marketplace.db import db
from tests import factories
from tests.security.access_table import ACCESS, ROLES, fill, form_for
from tests.security.test_access import endpoint_of
from tests.security.test_every_error_at_once import assert_summary_links_land

LONE_SURROGATE = "\ud800"  # sent as the bytes %ED%A0%80, which no UTF-8 decoder takes

#: Everything a phone keyboard, a paste or an attacker puts in a number field.
NUMBER_CORPUS = [
    "²",
    "①",
    "١٢",  # Arabic-Indic twelve: int() reads it, the site must not
    str(10**20),
    str(2**31),
    str(2**63),
    "-1",
    "0",
    "",
    "NaN",
    "1e9",
    "2.5",
    "9" * 5000,
    "\x00",
    "😀",
    " ",  # a phone keyboard's own space
    "\u00a0",  # a non-breaking space, pasted
]
#: ... and in a text field, or a text filter.
TEXT_CORPUS = [
    "",
    " ",
    "\u3000",  # a full-width space
    "\x00",
    "x" * 5000,
    "😀" + LONE_SURROGATE,
    "' OR 1=1 --",
    '"a" NEAR b',
    "*",
    "²①",
]
#: ... and in a date: nothing but spaces, a day no calendar has, the first and last days
#: Python's can hold (a day's midnight in WITA is then a time in UTC it cannot hold).
DATE_CORPUS = [*TEXT_CORPUS, "\u00a0", "2026-02-30", "0001-01-01", "9999-12-31", "²⁰²⁶-01-01"]
#: What can stand in a path where an id goes: none of it names a row.
ID_CORPUS = ["²", "①", "١٢", str(2**31), str(2**63), str(10**20), "-1", "0", "00"]
#: Where a slug or a token goes.
SLUG_CORPUS = ["%00", "x" * 5000, "%ED%A0%80"]

#: Query parameters each page reads (README "Pages"), besides those in its table rows.
QUERY_PARAMS = {
    "catalog.product_list": [
        "region",
        "category",
        "kind",
        "min_price",
        "max_price",
        "sort",
        "page",
    ],
    "catalog.search": ["q", "region", "category", "min_price", "page", "sort"],
    "catalog.suggestions": ["q"],
    "catalog.shop": ["page"],
    "accounts.admin_users": ["q"],
    "accounts.sign_in": ["next"],
    "pkk.queue": ["region", "category"],
    "pkk.impact": ["start", "end", "region"],
    "pkk.impact_csv": ["start", "end", "region"],
    "pkk.impact_pdf": ["start", "end", "region"],
    "payouts.admin_reconcile": ["since", "until"],
    "institutions.builder": ["templat"],
    "payments.pay_return": ["session_id", "payment_intent"],
}
NUMBER_PARAMS = {"page", "min_price", "max_price", "templat"}
DATE_PARAMS = {"start", "end", "since", "until"}

#: Fields a form reads that its valid example in the access table leaves out.
EXTRA_FIELDS = {
    "payments.admin_order": {"action": "partial", "part_id": "1", "amount": "1.000"},
    "institutions.receive_part": {"received-abc": "1"},
    "institutions.replace_part": {"choice-abc": "1", "choice-1": "1"},
    "orders.checkout": {"pickup": "1", "postal_code": "77111"},
    "sellers.product_new": {"upload_ids": "1"},
    "pkk.assistance_new": {"product_id": "1"},
}
#: Signed events: their body is JSON checked by its signature (tests/payments).
NOT_FORMS = {"payments.webhook", "payouts.connect_webhook"}

NUMBER_LIKE = re.compile(r"[0-9.]+")
DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _corpus_of(value: str, name: str = "") -> list[str]:
    """The hostile values for a field (by its valid value) or a parameter (by its name)."""
    if NUMBER_LIKE.fullmatch(value) or name in NUMBER_PARAMS:
        return NUMBER_CORPUS
    if DATE_LIKE.fullmatch(value) or name in DATE_PARAMS:
        return DATE_CORPUS
    return TEXT_CORPUS


def _right_role(statuses) -> str | None:
    """Who uses this route: a visitor on a public page (or one that serves everybody
    alike), else the first signed-in role it serves; None where it serves nobody."""
    anonymous, *signed_in = statuses
    if anonymous < 300 or len(set(statuses)) == 1 and anonymous < 400:
        return "anonymous"
    for role, status in zip(ROLES[1:], signed_in, strict=True):
        if status < 400:
            return role
    return None


def _rows():
    seen, rows = set(), []
    for method, path, *statuses in ACCESS:
        role = _right_role(statuses)
        base = path.split("?")[0]
        if role is None or (method, base) in seen:
            continue
        seen.add((method, base))
        queries = {
            name
            for m, p, *_ in ACCESS
            if m == method and p.split("?")[0] == base and "?" in p
            for name, _value in parse_qsl(p.split("?")[1])
        }
        rows.append(pytest.param(method, base, role, sorted(queries), id=f"{method} {base}"))
    return rows


def fingerprint() -> tuple:
    """Rows of every table, and the sums of their whole-number columns (stock, quantities,
    amounts, versions, ids): a refused request that wrote, moved stock or money shows."""
    columns = []
    for table in db.metadata.sorted_tables:
        columns.append(select(func.count()).select_from(table).scalar_subquery())
        for column in table.columns:
            if isinstance(column.type, Integer | BigInteger):
                columns.append(select(func.coalesce(func.sum(column), 0)).scalar_subquery())
    return tuple(db.session.execute(select(*columns)).one())


def _encode(data: dict[str, str]) -> str:
    # surrogatepass: a lone surrogate travels as the bytes a broken client would send.
    return urlencode(data, doseq=False, encoding="utf-8", errors="surrogatepass")


def _sign_in(client, login_as, role: str, user):
    if user is None:
        with client.session_transaction() as session:
            session.pop("_user_id", None)
        return
    login_as(role, user=user)


def _prepare(login_as, role: str):
    """The signed-in person as tests/security/test_access.py makes them."""
    if role == "anonymous":
        return None
    user = login_as(role)
    if role == "seller":
        factories.make_seller(user=user)
    if role == "officer":
        from marketplace.institutions.members import add_member

        add_member(factories.make_institution().id, user.email, can_approve=False)
    return user


def _cases(app, method: str, path: str, url: str, queries: list[str]):
    """(url, form, what) for each hostile value of each field, parameter and path id."""
    endpoint = endpoint_of(app, method, url)
    valid = {} if method == "GET" or endpoint in NOT_FORMS else form_for(endpoint)
    valid.update(EXTRA_FIELDS.get(endpoint or "", {}))
    for name, value in valid.items():
        if isinstance(value, tuple):
            continue  # a file: tests/security/test_uploads.py
        for hostile in _corpus_of(str(value)):
            yield url, {**valid, name: hostile}, f"{name}={hostile[:20]!r}"
    for name in sorted({*queries, *QUERY_PARAMS.get(endpoint or "", [])}):
        for hostile in _corpus_of("", name):
            query = _encode({name: hostile})
            yield f"{url}?{query}", valid, f"?{name}={hostile[:20]!r}"
    # Each id or slug in the path, one at a time.
    filled = urlsplit(url).path.split("/")
    template = path.split("/")
    for index, part in enumerate(template):
        if "{" not in part:
            continue
        is_id = filled[index].isascii() and filled[index].isdigit()
        for hostile in ID_CORPUS if is_id else SLUG_CORPUS:
            swapped = [*filled]
            swapped[index] = quote(hostile, safe="%")
            yield "/".join(swapped), valid, f"{'id' if is_id else 'slug'} {part}={hostile[:20]!r}"


def _send(client, method: str, url: str, data: dict):
    files = {k: v for k, v in data.items() if isinstance(v, tuple)}
    if method == "GET":
        return client.get(url)
    if files:  # multipart: the file fresh for every request
        body = {**data, **{k: (io.BytesIO(v[0].getvalue()), v[1]) for k, v in files.items()}}
        body = {
            k: v.replace(LONE_SURROGATE, "\ufffd") if isinstance(v, str) else v
            for k, v in body.items()
        }
        return client.open(url, method=method, data=body)
    return client.open(
        url, method=method, data=_encode(data), content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize(("method", "path", "role", "queries"), _rows())
def test_hostile_values_never_break_a_page_nor_write_when_refused(
    app, client, login_as, method, path, role, queries
):
    user = _prepare(login_as, role)
    url = fill(path, user)
    cases = list(_cases(app, method, path, url, queries))  # its valid form made first
    before = fingerprint()
    for case_url, data, what in cases:
        _sign_in(client, login_as, role, user)
        with _send(client, method, case_url, data) as response:
            status = response.status_code
            if status == 400 and response.mimetype == "text/html":
                # A refused form names every problem at the top, each linking to its field.
                assert_summary_links_land(response.get_data(as_text=True))
        assert status < 500, f"{method} {path} as {role}, {what}: {status}"
        if what.startswith("id "):
            # An id no row can have is simply not found (werkzeug's <int:> let 2**31 through).
            assert status in (404, 405), f"{method} {path} as {role}, {what}: {status}"
        after = fingerprint()
        if 400 <= status < 500:
            assert after == before, f"{method} {path} as {role}, {what}: refused but wrote"
        before = after


def test_the_sweep_names_only_pages_that_exist(app):
    # A page renamed and left here under its old name would be swept no more, silently.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted({*QUERY_PARAMS, *EXTRA_FIELDS, *NOT_FORMS} - endpoints) == []
