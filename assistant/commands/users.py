"""`insight users`: who may log in to the web app, and with which role."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assistant.commands import DataDir, app
from assistant.errors import UserError

users_app = typer.Typer(no_args_is_help=True, help="Web app logins: add, list and remove users.")
app.add_typer(users_app, name="users")


def _users_path(data_dir):
    from assistant.config import load_settings

    return load_settings(data_dir=data_dir).users_path


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserError("no password on stdin", hint="pipe it in: echo PASSWORD | insight ...")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError(
            "no terminal to ask for a password", hint="pass --password-stdin and pipe it in"
        )
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", "-r", help="marketer, support or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Change the password and role of an existing user.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a web app user with a role; the password is stored as a bcrypt hash.

    With --replace the user's open web sessions end: they log in again with the new password.
    """
    from assistant.users import add_user, check_name
    from tools.access import check_role

    # Validate before asking for a password, so a typo does not cost a prompt.
    check_name(name)
    check_role(role)
    path = _users_path(data_dir)
    add_user(path, name, role, _read_password(password_stdin), replace=replace)
    typer.echo(f"{'updated' if replace else 'added'} user {name} ({role}) in {path}")


@users_app.command("list")
def list_(data_dir: DataDir = None) -> None:
    """List web app users and their roles."""
    from assistant.users import list_users

    path = _users_path(data_dir)
    users = list_users(path)
    if not users:
        typer.echo(f"no users in {path} (the app creates demo users on first start)")
        return
    width = max(len(u["name"]) for u in users)
    for user in users:
        typer.echo(f"{user['name']:<{width}}  {user['role']:<8}  {user.get('created_at') or ''}")


@users_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Login name.")], data_dir: DataDir = None):
    """Remove a web app user; their open sessions end on their next request."""
    from assistant.users import remove_user

    path = _users_path(data_dir)
    removed = remove_user(path, name)
    typer.echo(f"removed user {removed['name']} ({removed['role']}) from {path}")


@users_app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="Login name.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the user's token.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print a new MCP bearer token for a user (shown once; only its hash is kept).

    `insight mcp --transport http` serves each token's holder with that user's role.
    A new token replaces the old one; --revoke removes it.
    """
    from assistant.users import issue_token, revoke_token

    path = _users_path(data_dir)
    if revoke:
        had = revoke_token(path, name)
        typer.echo(f"{'revoked the token of' if had else 'no token for'} {name} in {path}")
        return
    typer.echo(issue_token(path, name))
    typer.echo(f"(the token of {name}; store it now, it is not shown again)", err=True)
