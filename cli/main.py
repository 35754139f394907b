"""`keepcart`: set up, serve, train and evaluate. Each group lives in its own module."""

from __future__ import annotations

import typer

from cli import churn as churn_cmd
from cli import db as db_cmd
from cli import demo as demo_cmd
from cli import kb as kb_cmd
from cli import keys as keys_cmd
from cli import nlu as nlu_cmd
from cli import offers as offers_cmd
from cli import privacy as privacy_cmd
from cli import recommend as recommend_cmd
from cli import serve as serve_cmd
from cli import shop as shop_cmd
from cli import test_conversations as test_cmd
from cli import users as users_cmd

app = typer.Typer(
    help="Keepcart: a self-hosted customer-service chatbot and retention agent for online shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(nlu_cmd.app, name="nlu")
app.add_typer(kb_cmd.app, name="kb")
app.add_typer(shop_cmd.app, name="shop")
app.add_typer(users_cmd.app, name="users")
app.add_typer(offers_cmd.app, name="offers")
app.add_typer(churn_cmd.app, name="churn")
app.add_typer(recommend_cmd.app, name="recommend")
app.add_typer(privacy_cmd.app, name="privacy")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(test_cmd.app, name="test")
app.command("serve")(serve_cmd.serve)
app.command("demo")(demo_cmd.demo)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
