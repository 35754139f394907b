"""`keepcart users`: staff accounts for the consoles and the API (agent, support_lead, marketer, admin)."""

from __future__ import annotations

import sys

import typer

from cli import context

app = typer.Typer(help="Staff accounts: support staff, marketers and admins who sign in to the consoles and the API.",
                  no_args_is_help=True)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise context.fail("no password on standard input", code=2)
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command()
def create(
    email: str = typer.Argument(..., help="The person's e-mail address (their login)"),
    role: str = typer.Option(..., help="agent (support: transcripts, replies), support_lead (agent + offer results), "
                                       "marketer (offer rules and reports, no transcripts) or admin (everything); staff = agent"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first line of standard input instead of prompting twice"),
) -> None:
    """Create an account; the password (at least 10 characters) is stored as an argon2 hash."""
    from common import accounts
    from common.db import unit_of_work

    if accounts.ROLE_ALIASES.get(role, role) not in accounts.ROLES:
        raise context.fail(f"--role must be one of {', '.join(accounts.ROLES)}", code=2)
    password = _read_password(password_stdin)
    with unit_of_work(context.session_factory()) as session:
        user = context.run_or_fail(accounts.create_user, session, email, password, role)
    typer.echo(f"created {user.role} {user.email} (id {user.id})")


@app.command("list")
def list_users() -> None:
    """List every account with its role, state and last sign-in."""
    from common import accounts

    with context.session_factory()() as session:
        users = accounts.list_users(session)
    if not users:
        typer.echo("no users yet: keepcart users create EMAIL --role admin")
        return
    typer.echo(f"{'id':>4}  {'email':<32} {'role':<12} {'active':<6} {'created':<16} last sign-in")
    for u in users:
        last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never"
        typer.echo(f"{u.id:>4}  {u.email:<32} {u.role:<12} {'yes' if u.active else 'no':<6} {u.created_at:%Y-%m-%d %H:%M} {last}")


@app.command()
def disable(email: str = typer.Argument(..., help="The account to switch off")) -> None:
    """Switch an account off: it cannot sign in and its open sessions end at once."""
    from common import accounts
    from common.db import unit_of_work

    with unit_of_work(context.session_factory()) as session:
        user = context.run_or_fail(accounts.set_active, session, email, False)
    typer.echo(f"disabled {user.email}")


@app.command()
def enable(email: str = typer.Argument(..., help="The account to switch back on")) -> None:
    """Switch a disabled account back on."""
    from common import accounts
    from common.db import unit_of_work

    with unit_of_work(context.session_factory()) as session:
        user = context.run_or_fail(accounts.set_active, session, email, True)
    typer.echo(f"enabled {user.email}")


@app.command("set-password")
def set_password(
    email: str = typer.Argument(..., help="The account whose password changes"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from standard input"),
) -> None:
    """Set a new password; every session of the account ends."""
    from common import accounts
    from common.db import unit_of_work

    password = _read_password(password_stdin)
    with unit_of_work(context.session_factory()) as session:
        user = context.run_or_fail(accounts.set_password, session, email, password)
    typer.echo(f"password changed for {user.email}")


@app.command()
def grant(
    email: str = typer.Argument(..., help="The account"),
    grants: list[str] = typer.Argument(None, help="read_transcripts (a marketer reading transcripts); none to take every grant back"),
) -> None:
    """Set an account's extra rights (replacing the old ones); its sessions end so they apply at once."""
    from common import accounts
    from common.db import unit_of_work

    with unit_of_work(context.session_factory()) as session:
        user = context.run_or_fail(accounts.set_grants, session, email, grants or [])
    typer.echo(f"{user.email}: grants {', '.join(user.grants) or 'none'}")
