"""``flask pkk …``: the PKK desk from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.accounts.services import find_user_by_login
from marketplace.db import db
from marketplace.pkk.services import region_by_slug, set_reviewer_scope

pkk_cli = AppGroup("pkk", help="The PKK desk: reviewers' kabupaten.")


@pkk_cli.command("scope")
@click.argument("login")
@click.argument("region")
def scope(login: str, region: str) -> None:
    """Limit a reviewer to one kabupaten (its slug, e.g. malinau), or `provinsi` for all."""
    user = find_user_by_login(login)
    if user is None:
        raise click.ClickException(f"no user {login}")
    region_id = None
    if region != "provinsi":
        found = region_by_slug(region)
        if found is None:
            raise click.ClickException(f"no kabupaten {region}")
        region_id = found.id
    set_reviewer_scope(user.id, region_id)
    db.session.commit()
    click.echo(f"{login}: {region}.")
