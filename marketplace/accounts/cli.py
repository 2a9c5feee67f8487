"""``flask users ...``: the first admin, role grants and reset links from the shell."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from marketplace.accounts import recovery, services
from marketplace.accounts.models import Role, User
from marketplace.db import db

users_cli = AppGroup("users", help="Manage users and roles.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", default="Admin")
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first admin (or make an existing user admin)."""
    user = services.find_user_by_login(email)
    try:
        if user is None:
            user = services.register_user(name=name, email=email, phone=None, password=password)
        services.grant_role(user, Role.ADMIN)
    except services.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"{user.email} is an admin.")


@users_cli.command("grant")
@click.argument("login")
@click.argument("role", type=click.Choice([role.value for role in Role]))
def grant(login: str, role: str) -> None:
    """Give ROLE to the user with this e-mail or phone number."""
    _change_role(login, role, services.grant_role, ("granted", "already held"))


@users_cli.command("revoke")
@click.argument("login")
@click.argument("role", type=click.Choice([role.value for role in Role]))
def revoke(login: str, role: str) -> None:
    """Take ROLE away from the user with this e-mail or phone number."""
    _change_role(login, role, services.revoke_role, ("revoked", "not held"))


@users_cli.command("reset-link")
@click.argument("login")
def reset_link(login: str) -> None:
    """Print a 30-minute password reset link for the user with this e-mail or phone number.

    For a household whose account has only a phone number: an admin who has made sure
    who is asking passes the link on by hand (WhatsApp), until the site can send it.
    """
    click.echo(recovery.reset_url(_user(login)))


def _user(login: str) -> User:
    user = services.find_user_by_login(login)
    if user is None:
        raise click.ClickException(f"no user {login}")
    return user


def _change_role(
    login: str, role: str, change: Callable[[User, Role], bool], said: tuple[str, str]
) -> None:
    try:
        changed = change(_user(login), Role(role))
    except services.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"{login}: {role} {said[0] if changed else said[1]}.")
