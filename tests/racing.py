"""Requests sent at the same moment, from threads, to the real app: a double tap, two people
pressing at once. Each request has its own session and connection, as under a real server,
so what they race for is really committed first; ``real_commits`` deletes it afterwards."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select, update

from marketplace.accounts.models import User
from marketplace.db import db
from tests.cleanup import committing_session


def _rows_added_since():
    """The highest id of every table now, and a function that deletes every row added since
    (dependent tables first) and sets the document counters back."""
    tables = [table for table in db.metadata.sorted_tables if "id" in table.c]
    marks = {table.name: db.session.scalar(select(func.max(table.c.id))) or 0 for table in tables}
    counters = db.metadata.tables["document_counters"]
    numbers = db.session.execute(select(counters.c.id, counters.c.last_number)).all()

    def purge() -> None:
        for table in reversed(tables):
            db.session.execute(delete(table).where(table.c.id > marks[table.name]))
        for counter_id, last_number in numbers:
            db.session.execute(
                update(counters).where(counters.c.id == counter_id).values(last_number=last_number)
            )

    return purge


@pytest.fixture
def real_commits(app):
    """A session that really commits (the racing requests must see the test's rows); every
    row added during the test is deleted afterwards, the document counters set back."""
    purge = []
    with committing_session(lambda: purge[0]()):
        purge.append(_rows_added_since())
        yield db.session


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str
    #: the messages waiting for the next page (after a redirect), as ``(category, text)``
    flashes: tuple[tuple[str, str], ...]


def race(app, *requests: tuple[User | None, str, dict]) -> list[Answer]:
    """POST each ``(user, path, form)`` at the same moment, each from a client of its own
    signed in as its user (None: a visitor); the answers in the order given."""
    clients = []
    for user, _path, _form in requests:
        client = app.test_client()
        if user is not None:
            with client.session_transaction() as session:
                session["_user_id"] = user.session_token
                session["_fresh"] = True
        clients.append(client)
    paths = [(path, form) for _user, path, form in requests]
    barrier = threading.Barrier(len(requests))

    def send(i: int) -> Answer:
        path, form = paths[i]
        barrier.wait()
        response = clients[i].post(path, data=form)
        with clients[i].session_transaction() as session:
            flashes = tuple(tuple(flashed) for flashed in session.get("_flashes", ()))
        return Answer(
            response.status_code,
            response.get_data(as_text=True),
            response.headers.get("Location", ""),
            flashes,
        )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(send, range(len(requests))))
    db.session.rollback()  # the test's next reads see what the requests committed
    return answers


def twice(app, user: User | None, path: str, form: dict) -> list[Answer]:
    """The same form sent twice at the same moment; every answer a redirect or a 4xx."""
    return no_5xx(race(app, (user, path, form), (user, path, form)))


def no_5xx(answers: list[Answer]) -> list[Answer]:
    """``answers``, each checked to be a redirect or a 4xx, never a server's error."""
    for answer in answers:
        assert answer.status < 500, answer.body[:2000]
    return answers
