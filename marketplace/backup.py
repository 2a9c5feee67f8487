"""``flask backup``: one archive with a consistent copy of the database, the photos and the
instance secrets; restored onto a fresh instance.

The archive is a ``.tar.gz`` whose ``manifest.json`` lists every other file with its size
and sha256. The database is copied first, in one snapshot (SQLite's online backup API,
``pg_dump`` on PostgreSQL), then the photos: a photo is stored before the row naming it is
committed and is never changed or removed (its key is its content hash), so every photo
the copied database names is in the archive, whatever the site wrote meanwhile.

A restore checks every file against the manifest before it writes anything, and refuses a
database or a photo storage that holds something already unless told ``--force``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from marketplace.db import db, now_utc
from marketplace.storage import LocalStorage, get_storage

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
#: the secrets kept in the instance folder (config.py makes them on first start)
SECRET_FILES = ("secret_key", "test_webhook_secret")
#: secrets that come from the environment only: never in the archive, kept by the operator
ENVIRONMENT_SECRETS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "MARKETPLACE_TEST_WEBHOOK_SECRET",
    "SMTP_URL",
    "REDIS_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "WHATSAPP_TOKEN",
    "VAPID_PRIVATE_KEY",
)

backup_cli = AppGroup("backup", help="Back up this instance, or restore a backup onto it.")


class BackupError(click.ClickException):
    """The backup or the restore cannot go on; the message says why and what to do."""


@dataclass
class Backup:
    path: Path
    manifest: dict


# -- create ---------------------------------------------------------------------------------


def create_backup(destination: Path, *, photos: bool = True) -> Backup:
    """Write an archive into ``destination``: a folder (made if need be), or the archive's
    own name when it ends in ``.tar.gz``."""
    started = now_utc()
    if not destination.name.endswith(".tar.gz"):
        destination = destination / f"pasar-backup-{started:%Y%m%dT%H%M%SZ}.tar.gz"
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pasar-backup-") as work:
        database_file, database = _dump_database(Path(work))
        files = {f"database/{database_file.name}": database_file}
        files |= {f"instance/{name}": path for name, path in _secret_files().items()}
        manifest = {
            "format": FORMAT,
            "created_at": started.isoformat(),
            "database": database,
            "photos": _photos_note(photos),
            "environment_secrets_not_included": [
                name for name in ENVIRONMENT_SECRETS if os.environ.get(name)
            ],
            "files": {},
        }
        # Written beside its final name and renamed: a half-written archive is never taken
        # for a backup.
        partial = destination.with_name(destination.name + ".partial")
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)  # readable by its owner only, from the first byte
        try:
            _write_archive(partial, files, manifest, photos)
        except BaseException:
            partial.unlink(missing_ok=True)  # a full disk leaves no half archive behind
            raise
        os.replace(partial, destination)
    return Backup(destination, manifest)


def _write_archive(path: Path, files: dict[str, Path], manifest: dict, photos: bool) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, source in files.items():
            manifest["files"][name] = _add_file(archive, name, source)
        if photos:
            storage = get_storage()
            for key in storage.all_keys():
                manifest["files"][f"media/{key}"] = _add(archive, f"media/{key}", storage.read(key))
        manifest["photos"]["count"] = sum(1 for name in manifest["files"] if _is_photo(name))
        _add(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> dict:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(now_utc().timestamp())
    archive.addfile(info, io.BytesIO(data))
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> dict:
    with path.open("rb") as handle:
        digest = _sha256(handle)

    def private(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
        return info

    archive.add(path, arcname=name, recursive=False, filter=private)
    return {"size": path.stat().st_size, "sha256": digest}


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _is_photo(name: str) -> bool:
    return name.startswith("media/")


def _dump_database(work: Path) -> tuple[Path, dict]:
    """The database in one snapshot, as a file in ``work``, and what the manifest says of it."""
    url = db.engine.url
    revision = _revision()
    if url.get_backend_name() == "sqlite":
        target = work / "marketplace.sqlite"
        source = sqlite3.connect(url.database, timeout=30)
        copy = sqlite3.connect(target)
        try:
            # One step (all pages at once) under one read lock: a consistent copy while the
            # site keeps writing; writers wait for it as for any other reader.
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target, {"dialect": "sqlite", "revision": revision}
    if url.get_backend_name() == "postgresql":
        target = work / "marketplace.pgdump"
        # pg_dump reads every table in one snapshot (a repeatable-read transaction).
        _run_pg("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges", "-f", target)
        return target, {"dialect": "postgresql", "revision": revision}
    raise BackupError(f"No backup for a {url.get_backend_name()} database.")


def _revision() -> str:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version")) or ""
    except SQLAlchemyError:
        return ""
    finally:
        db.session.rollback()


def _secret_files() -> dict[str, Path]:
    folder = Path(current_app.instance_path)
    return {name: folder / name for name in SECRET_FILES if (folder / name).is_file()}


def _photos_note(photos: bool) -> dict:
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        return {"storage": "local", "included": photos}
    return {
        "storage": "s3",
        "bucket": storage.bucket,
        "prefix": storage.prefix,
        "included": photos,
    }


def _run_pg(program: str, url: URL, *arguments) -> None:
    """Run a PostgreSQL client program on ``url``; the password goes in the environment."""
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not installed: install the PostgreSQL client of the server's "
            "version (Debian: postgresql-client)."
        )
    plain = url.set(drivername="postgresql", password=None)
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    command = [program, *map(str, arguments), "--dbname", plain.render_as_string()]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{program} failed:\n{result.stderr.strip()}")


# -- restore --------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> dict:
    """The manifest, after checking that the archive holds exactly the files it lists,
    each with its size and sha256. Nothing is written."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            member = archive.getmember(MANIFEST)
            manifest = json.loads(archive.extractfile(member).read())
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{archive_path}: backup format {manifest.get('format')!r}.")
            expected = manifest["files"]
            seen = set()
            for member, handle in _members(archive):
                if member.name == MANIFEST:
                    continue
                listed = expected.get(member.name)
                if listed is None:
                    raise BackupError(f"{archive_path}: {member.name} is not in the manifest.")
                if _sha256(handle) != listed["sha256"]:
                    raise BackupError(f"{archive_path}: {member.name} does not match its sha256.")
                seen.add(member.name)
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError) as error:
        raise BackupError(f"{archive_path} is not a whole backup: {error}") from error
    if missing := sorted(set(expected) - seen):
        raise BackupError(f"{archive_path}: missing {', '.join(missing[:5])}.")
    return manifest


def _members(archive: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    """Each file of the archive, read where it lies: nothing is extracted by its own name."""
    for member in archive:
        if not member.isfile():
            raise BackupError(f"{member.name}: a backup holds plain files only.")
        yield member, archive.extractfile(member)


def restore_backup(archive_path: Path, *, force: bool = False) -> dict:
    """Restore the archive onto this instance's database, photo storage and instance folder."""
    manifest = read_manifest(archive_path)
    dialect = manifest["database"]["dialect"]
    if db.engine.url.get_backend_name() != dialect:
        raise BackupError(
            f"This backup holds a {dialect} database; DATABASE_URL names a "
            f"{db.engine.url.get_backend_name()} one."
        )
    storage = get_storage()
    if not force:
        _refuse_unless_empty(storage)
    with (
        tempfile.TemporaryDirectory(prefix="pasar-restore-") as work,
        tarfile.open(archive_path, "r:gz") as archive,
    ):
        for member, handle in _members(archive):
            if member.name.startswith("database/"):
                staged = Path(work) / "database"
                with staged.open("wb") as copy:
                    shutil.copyfileobj(handle, copy, CHUNK)
                _restore_database(staged, force)
            elif member.name.startswith("instance/"):
                _restore_secret(member.name.removeprefix("instance/"), handle.read())
            elif _is_photo(member.name):
                key, data = member.name.removeprefix("media/"), handle.read()
                storage.put(key, data, _content_type(key, data))
    return manifest


def _refuse_unless_empty(storage) -> None:
    tables = inspect(db.engine).get_table_names()
    db.engine.dispose()
    if tables:
        raise BackupError(
            f"The database at {db.engine.url.render_as_string()} has tables already "
            f"({len(tables)}): restore onto an empty one, or replace it with --force."
        )
    if next(iter(storage.all_keys()), None) is not None:
        raise BackupError(
            "The photo storage holds photos already: restore onto an empty one, or add to "
            "it with --force."
        )


def _restore_database(staged: Path, force: bool) -> None:
    url = db.engine.url
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(staged)
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    clean = ("--clean", "--if-exists") if force else ()
    _run_pg("pg_restore", url, "--no-owner", "--no-privileges", "--exit-on-error", *clean, staged)


def _restore_secret(name: str, data: bytes) -> None:
    if name not in SECRET_FILES:
        raise BackupError(f"instance/{name}: not a secret this app keeps.")
    folder = Path(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    path.chmod(0o600)


def _content_type(key: str, data: bytes) -> str:
    if key.endswith(".webp"):
        return "image/webp"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


# -- commands -------------------------------------------------------------------------------


@backup_cli.command("create")
@click.argument("destination", type=click.Path(path_type=Path))
@click.option(
    "--photos/--no-photos",
    default=True,
    help="Copy the photos too (the default; --no-photos when S3 versioning keeps them).",
)
def create_command(destination: Path, photos: bool) -> None:
    """Write a backup archive into DESTINATION: a folder, or a name ending in .tar.gz."""
    try:
        backup = create_backup(destination, photos=photos)
    except OSError as error:  # a folder that cannot be made or written, a full disk
        raise click.ClickException(f"no backup written to {destination}: {error}") from None
    manifest = backup.manifest
    click.echo(
        f"{backup.path}: {manifest['database']['dialect']} database at revision "
        f"{manifest['database']['revision']}, {manifest['photos'].get('count', 0)} photo file(s), "
        f"secrets {', '.join(n for n in manifest['files'] if n.startswith('instance/')) or '-'}"
    )
    click.echo("The archive holds the site's secrets: keep it as safe as they are.")
    if missing := manifest["environment_secrets_not_included"]:
        click.echo(f"Not in the archive, keep them yourself: {', '.join(missing)}")


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(archive: Path) -> None:
    """Check every file of ARCHIVE against its manifest; write nothing."""
    manifest = read_manifest(archive)
    click.echo(f"{archive}: {len(manifest['files'])} file(s), all as listed")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database and photos already there.")
def restore_command(archive: Path, force: bool) -> None:
    """Restore ARCHIVE onto this instance (DATABASE_URL, the photo storage, INSTANCE_PATH)."""
    manifest = restore_backup(archive, force=force)
    taken = dt.datetime.fromisoformat(manifest["created_at"])
    click.echo(
        f"Restored the backup of {taken:%Y-%m-%d %H:%M:%S} UTC "
        f"(revision {manifest['database']['revision']})."
    )
    click.echo(
        "Next: flask db upgrade; check /readyz; with Stripe, "
        f"flask payouts replay-events --since {taken:%Y-%m-%dT%H:%M:%S}, "
        "then flask payouts reconcile."
    )
    if missing := manifest["environment_secrets_not_included"]:
        click.echo(f"Set these from where you keep them: {', '.join(missing)}")
