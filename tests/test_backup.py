"""Backup and restore: an instance with orders, a ledger and photos is backed up while it
serves and takes sign-ups, restored onto a fresh instance (a fresh database), and the
restored one holds the same orders, ledger sums, photos and secrets."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, make_url, select, text

from marketplace import create_app
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.demo import load_demo
from tests import factories
from tests.conftest import FAST_HASH, app_settings, database_url
from tests.servers import ROOT, HttpVisitor, gunicorn


def flask(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", *arguments],
        cwd=ROOT,
        env={**os.environ, **env, "FLASK_APP": "wsgi:app"},
        capture_output=True,
        text=True,
        timeout=300,
    )


class Instance:
    """An instance of the site: its own instance folder, database and photo folder."""

    def __init__(self, folder: Path, url: str):
        self.folder = folder
        self.url = url
        self.media = folder / "media"
        self.env = {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(self.media),
            # The instance's own key, kept in its folder (the suite sets one for itself).
            "SECRET_KEY": "",
            "MARKETPLACE_PASSWORD_HASH_PARAMS": json.dumps(FAST_HASH),
        }

    def rows(self, sql: str) -> list[tuple]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()

    def photos(self) -> dict[str, str]:
        return {
            path.relative_to(self.media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.media.rglob("*"))
            if path.is_file()
        }


ORDERS = "SELECT id, status, items_amount, total_amount, paid_at FROM orders ORDER BY id"
LEDGER = "SELECT account, SUM(amount), COUNT(*) FROM ledger_entries GROUP BY account ORDER BY 1"
EMAILS = "SELECT email FROM users ORDER BY email"


@pytest.fixture(scope="module")
def database_urls():
    """Empty databases for this module's instances: SQLite files, or scratch PostgreSQL
    databases (created here, dropped afterwards) when the suite runs on PostgreSQL."""
    url = make_url(database_url())
    if url.get_backend_name() != "postgresql":
        yield lambda folder: f"sqlite:///{folder / 'marketplace.db'}"
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    made = []

    def scratch(_folder: Path) -> str:
        name = f"{url.database}_backup_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield scratch
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def populate(instance: Instance) -> None:
    """Migrate the instance's database and give it the demo catalogue (photos stored in its
    folder), paid and delivered orders and so a ledger, through the app's own services."""
    source = create_app(
        app_settings(SQLALCHEMY_DATABASE_URI=instance.url, MEDIA_ROOT=str(instance.media))
    )
    with pytest.MonkeyPatch.context() as patch:
        # The suite's session is bound to its own database; this one uses the instance's.
        patch.setattr(db, "session", db._make_scoped_session({}))
        with source.app_context():
            flask_migrate.upgrade()
            load_demo(photo_size=source.config["DEMO_PHOTO_SIZE"])
            products = db.session.scalars(
                select(Product).where(Product.stock > 5).order_by(Product.id).limit(4)
            ).all()
            factories.make_delivered_order((products[0], 2), (products[1], 1))
            factories.make_delivered_order((products[2], 1))
            factories.make_paid_order((products[3], 3))
            db.session.commit()
        # The jobs (mails) ran as that context ended; now every connection is back.
        with source.app_context():
            db.engine.dispose()


def sign_up(visitor: HttpVisitor, base: str, email: str) -> int:
    status, _html, _ = visitor.submit(
        f"{base}/akun/daftar",
        {"name": "Pembeli Cadangan", "email": email, "phone": "", "password": "cadangan-2026-aman"},
    )
    return status


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory, database_urls):
    """A source instance, backed up while it serves sign-ups; the archive; the visitor
    signed in there before the backup."""
    folder = tmp_path_factory.mktemp("source")
    source = Instance(folder, database_urls(folder))
    populate(source)
    visitor = HttpVisitor()
    env = {**os.environ, **source.env, "FLASK_APP": "wsgi:app"}
    command = [sys.executable, "-m", "flask", "backup", "create", str(folder.parent / "archives")]
    with gunicorn(source.env) as base:
        assert sign_up(visitor, base, "sebelum@cadangan.contoh.id") == 302
        # Sign-ups go on while the backup is taken, until it is done.
        backup = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        during = []
        while backup.poll() is None:
            during.append(sign_up(HttpVisitor(), base, f"selama{len(during)}@cadangan.contoh.id"))
        said, _ = backup.communicate()
        assert backup.returncode == 0
        assert during and set(during) == {302}
    archive = next((folder.parent / "archives").glob("pasar-backup-*.tar.gz"))
    return source, archive, visitor, said


def test_a_restore_onto_a_fresh_instance_has_the_same_orders_ledger_photos_and_secrets(
    backed_up, tmp_path, database_urls
):
    source, archive, visitor, said = backed_up
    assert "secret_key" in said and "keep it as safe" in said
    target = Instance(tmp_path / "restored", database_urls(tmp_path / "restored"))

    restored = flask(target.env, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "replay" in restored.stdout
    upgraded = flask(target.env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    orders = source.rows(ORDERS)
    assert len(orders) == 3 and target.rows(ORDERS) == orders
    ledger = source.rows(LEDGER)
    assert ledger and target.rows(LEDGER) == ledger
    # Every photo, byte for byte, and the instance's secrets.
    assert source.photos() and target.photos() == source.photos()
    for secret in ("secret_key", "test_webhook_secret"):
        assert (target.folder / secret).read_text() == (source.folder / secret).read_text()
    # The accounts of the snapshot: the one made before it, and only accounts the source has.
    emails = {email for (email,) in target.rows(EMAILS)}
    assert "sebelum@cadangan.contoh.id" in emails
    assert emails <= {email for (email,) in source.rows(EMAILS)}

    with gunicorn(target.env) as base:
        status, body, _ = visitor.get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["status"] == "ok", body
        # Still signed in: the same key signs the cookie and the account is there.
        status, html, _ = visitor.get(f"{base}/")
        assert status == 200 and "Keluar" in html
        product = source.rows("SELECT slug FROM products ORDER BY id LIMIT 1")[0][0]
        status, html, _ = visitor.get(f"{base}/produk/{product}")
        assert status == 200 and "/media/photos/" in html


def test_a_restore_refuses_a_database_that_holds_data(backed_up, tmp_path, database_urls):
    _source, archive, _visitor, _said = backed_up
    target = Instance(tmp_path / "busy", database_urls(tmp_path / "busy"))
    assert flask(target.env, "db", "upgrade").returncode == 0

    refused = flask(target.env, "backup", "restore", str(archive))
    assert refused.returncode != 0 and "has tables already" in refused.stderr
    assert target.rows("SELECT COUNT(*) FROM orders") == [(0,)]
    assert not target.media.exists() or target.photos() == {}


def test_a_damaged_archive_is_refused_before_anything_is_written(
    backed_up, tmp_path, database_urls
):
    _source, archive, _visitor, _said = backed_up
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as original, tarfile.open(damaged, "w:gz") as copy:
        for member in original:
            data = original.extractfile(member).read()
            if member.name.startswith("media/") and member.name.endswith(".webp"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            copy.addfile(member, io.BytesIO(data))
    target = Instance(tmp_path / "fresh", database_urls(tmp_path / "fresh"))

    verified = flask(target.env, "backup", "verify", str(damaged))
    assert verified.returncode != 0 and "does not match its sha256" in verified.stderr
    refused = flask(target.env, "backup", "restore", str(damaged))
    assert refused.returncode != 0 and "does not match its sha256" in refused.stderr
    assert target.rows(_TABLES[make_url(target.url).get_backend_name()]) == []
    assert not target.media.exists() or target.photos() == {}


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}


def test_the_archive_lists_every_file_with_its_checksum_and_names_what_is_not_in_it(backed_up):
    _source, archive, _visitor, _said = backed_up
    with gzip.open(archive) as raw, tarfile.open(fileobj=raw) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = {member.name for member in tar} - {"manifest.json"}
    assert names == set(manifest["files"])
    assert manifest["photos"] == {
        "storage": "local",
        "included": True,
        "count": len([name for name in names if name.startswith("media/")]),
    }
    assert "instance/secret_key" in names and manifest["database"]["revision"]


def test_a_backup_that_cannot_be_written_says_so_and_leaves_no_half_archive(
    app, tmp_path, monkeypatch
):
    """A destination that cannot be made was a traceback; a disk that fills up half way
    through left a ``.partial`` file behind."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    result = app.test_cli_runner().invoke(args=["backup", "create", str(blocked / "x.tar.gz")])
    assert result.exit_code == 1
    assert f"no backup written to {blocked / 'x.tar.gz'}" in result.output

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "addfile", full_disk)
    folder = tmp_path / "backups"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(folder)])
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert list(folder.iterdir()) == []  # neither an archive nor a .partial
