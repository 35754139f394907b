"""`keepcart keys`: the server's signing keys per purpose — list their ids, rotate, show the webhook key."""

from __future__ import annotations

import typer

from cli import context

app = typer.Typer(help="Signing keys: conversation tokens, staff sessions, the coupon webhook.", no_args_is_help=True)
PURPOSES = ("conversation", "staff", "webhook")


def _check(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise context.fail(f"PURPOSE must be one of {', '.join(PURPOSES)} (the shop key is KEEPCART_SECRET_KEY)", code=2)


@app.command("list")
def list_keys() -> None:
    """Each purpose's key ids (never the keys), the signing one first, and where they come from."""
    from common.keys import key_file, load_keys
    from common.signing import kid_of

    settings = context.settings()
    keys = load_keys(settings)
    for purpose in ("shopper", *PURPOSES):
        ring = getattr(keys, purpose)
        if purpose == "shopper":
            source = "KEEPCART_SECRET_KEY" if settings.secret_key else str(settings.data_dir / "secret_key")
        else:
            given = bool(getattr(settings.keys, purpose))
            source = f"KEEPCART_KEYS__{purpose.upper()}" if given else str(key_file(settings.data_dir, purpose))
        typer.echo(f"{purpose:<13} {' '.join(kid_of(s) for s in ring.secrets)}  ({source})")


@app.command()
def rotate(purpose: str = typer.Argument(..., help="conversation, staff or webhook")) -> None:
    """Make a new signing key; the old one keeps verifying for KEEPCART_KEYS__GRACE_HOURS."""
    from common.keys import rotate as rotate_file
    from common.signing import kid_of

    _check(purpose)
    settings = context.settings()
    if getattr(settings.keys, purpose):
        raise context.fail(f"the {purpose} keys come from KEEPCART_KEYS__{purpose.upper()}: put the new key first there")
    ring = rotate_file(settings.data_dir, purpose, settings.keys.grace_hours)
    typer.echo(f"{purpose}: signing with {kid_of(ring.current)}; still verifying "
               f"{' '.join(kid_of(s) for s in ring.secrets[1:]) or 'nothing else'} for up to {settings.keys.grace_hours:g} h "
               "(restart the server to pick it up)")


@app.command("show-webhook")
def show_webhook() -> None:
    """Print the current webhook key: the shop signs coupon redemptions with it (keep it secret)."""
    from common.keys import load_keys

    typer.echo(load_keys(context.settings()).webhook.current)
