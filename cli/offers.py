"""`keepcart offers`: retention offer rules — edit, preview, simulate, report, install the demo set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from cli import context

app = typer.Typer(help="Retention offers: the rules marketers set, what they would cost, and what they achieved.",
                  no_args_is_help=True)
AUTHOR_HELP = "Recorded as the author of this change in the rule's version history"


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("list")
def list_rules() -> None:
    """List the rules with their kind, triggers, state and budget spent."""
    from retention_model.offers.store import list_rules as stored

    with context.session_factory()() as session:
        rules = stored(session)
    if not rules:
        typer.echo("no offer rules: keepcart offers install-demo, or keepcart offers create --file RULE.json")
        return
    typer.echo(f"{'id':>3}  {'name':<28} {'kind':<15} {'value':>6} {'on':<3} {'prio':>4} {'issued':>10} {'spent':>10}  triggers")
    for s in rules:
        r = s.rule
        budget = f"{s.spent_count}/{r.budget_count}" if r.budget_count else str(s.spent_count)
        money = f"{s.spent_money}/{r.budget_money}" if r.budget_money else str(s.spent_money)
        typer.echo(f"{r.id:>3}  {r.name[:28]:<28} {r.kind:<15} {r.value!s:>6} {'yes' if r.active else 'no':<3} "
                   f"{r.priority:>4} {budget:>10} {money:>10}  {', '.join(r.triggers)}")


@app.command()
def show(rule_id: int = typer.Argument(..., help="Rule id")) -> None:
    """Print a rule as JSON (the same format `create --file` reads)."""
    from retention_model.offers.store import get_rule

    with context.session_factory()() as session:
        stored = context.run_or_fail(get_rule, session, rule_id)
    typer.echo(stored.rule.model_dump_json(indent=2))


@app.command()
def create(
    file: Path = typer.Option(..., exists=True, dir_okay=False, help="JSON file with one rule, a list, or {\"rules\": [...]}"),
    by: str = typer.Option("cli", help=AUTHOR_HELP),
) -> None:
    """Create rules from a JSON file; nothing is stored if any rule is invalid."""
    from common.db import unit_of_work
    from retention_model.offers.rule_files import load_rule_file
    from retention_model.offers.store import create_rule

    specs = context.run_or_fail(load_rule_file, file)
    with unit_of_work(context.session_factory()) as session:
        for spec in specs:
            s = create_rule(session, spec, by)
            typer.echo(f"created rule {s.rule.id} {s.rule.name!r} ({'on' if s.rule.active else 'off'})")


@app.command()
def update(
    rule_id: int = typer.Argument(..., help="Rule id"),
    file: Path = typer.Option(..., exists=True, dir_okay=False, help="JSON file with the rule's new definition"),
    by: str = typer.Option("cli", help=AUTHOR_HELP),
) -> None:
    """Replace a rule's definition (a new version is written)."""
    from common.db import unit_of_work
    from retention_model.offers.rule_files import load_rule_file
    from retention_model.offers.store import update_rule

    specs = context.run_or_fail(load_rule_file, file)
    if len(specs) != 1:
        raise context.fail(f"{file}: holds {len(specs)} rules; give exactly one", code=2)
    with unit_of_work(context.session_factory()) as session:
        s = context.run_or_fail(update_rule, session, rule_id, specs[0], by)
    typer.echo(f"rule {s.rule.id} is now version {s.rule.version}")


@app.command()
def versions(rule_id: int = typer.Argument(..., help="Rule id")) -> None:
    """Show who changed a rule and when."""
    from retention_model.offers.store import list_versions

    with context.session_factory()() as session:
        rows = context.run_or_fail(list_versions, session, rule_id)
    for v in rows:
        d = v.definition
        typer.echo(f"v{v.version:<3} {v.changed_at:%Y-%m-%d %H:%M} {v.change:<8} {v.changed_by:<28} "
                   f"{d.get('kind')} {d.get('value')} {'on' if d.get('active') else 'off'}")


@app.command("install-demo")
def install_demo() -> None:
    """Install the demo rule set (skips rules already there, so it is safe to run again)."""
    from common.db import unit_of_work
    from retention_model.offers.demo_rules import install_demo_rules

    with unit_of_work(context.session_factory()) as session:
        added = install_demo_rules(session)
    typer.echo(f"installed {added} demo rule(s)" if added else "demo rules already installed")


def _rules_for(session, rules_file: Path | None):  # type: ignore[no-untyped-def]
    from retention_model.offers.rule_files import as_rules, load_rule_file
    from retention_model.offers.store import list_rules as stored

    if rules_file is not None:
        return [(r, 0, None) for r in as_rules(context.run_or_fail(load_rule_file, rules_file))]
    return [(s.rule, s.spent_count, s.spent_money) for s in stored(session)]


def _shoppers(session, now: datetime):  # type: ignore[no-untyped-def]
    from retention_model.offers.population import scored_shoppers

    shoppers = scored_shoppers(session, now)
    if not shoppers:
        raise context.fail("no customer scores in the database: score the customers first (keepcart churn score)")
    return shoppers


@app.command()
def preview(rules_file: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False,
                                                   help="Preview the rules in this JSON file instead of the stored ones")) -> None:
    """How many scored customers each rule reaches now, and the expected redemptions and cost."""
    from decimal import Decimal

    from retention_model.offers.preview import preview_rule

    now = _now()
    with context.session_factory()() as session:
        shoppers = _shoppers(session, now)
        rules = _rules_for(session, rules_file)
    typer.echo(f"{len(shoppers)} scored customers")
    typer.echo(f"{'id':>3}  {'name':<28} {'eligible':>8} {'worth it':>8} {'offers':>7} {'redeem':>7} {'cost':>9}")
    for r, count, money in rules:
        p = preview_rule(r, shoppers, now, count, money or Decimal("0"))
        limit = " (budget-limited)" if p.budget_limits else ""
        typer.echo(f"{r.id:>3}  {r.name[:28]:<28} {p.eligible:>8} {p.worth_offering:>8} {p.treatment:>7.0f} "
                   f"{p.expected_redemptions:>7.0f} {p.expected_cost:>9.2f}{limit}")


@app.command()
def simulate(
    days: int = typer.Option(30, "--days", min=1, max=3650, help="Days to replay"),
    rules_file: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False,
                                           help="Simulate the rules in this JSON file (all treated as switched on) instead of the stored ones"),
    contact_rate: float = typer.Option(0.01, min=0.0001, max=1.0, help="Chance that a shopper writes to support on a given day"),
    seed: int = typer.Option(0, help="Seed of who writes in, and when"),
    report: Path | None = typer.Option(None, "--report", dir_okay=False, help="Also write the figures as JSON here"),
) -> None:
    """Replay the shop's scored customers through the rules: offers, hold-outs, budget burn and expected lift.

    Stored rules start from the budget they have spent so far; rules from --rules start from zero."""
    from retention_model.offers.decision import RuleUsage
    from retention_model.offers.simulate import simulate as run

    now = _now()
    with context.session_factory()() as session:
        shoppers = _shoppers(session, now)
        stored = _rules_for(session, rules_file)
    rules = [r for r, _, _ in stored]
    spent = {r.id: RuleUsage(count, money) for r, count, money in stored if money is not None}
    if rules_file is not None:
        rules = [r.model_copy(update={"active": True}) for r in rules]
    if not any(r.active for r in rules):
        raise context.fail("no active rules to simulate (give --rules FILE, or switch a rule on)")
    result = run(shoppers, rules, days, now, contact_rate=contact_rate, seed=seed, progress=context.is_tty(), spent=spent)
    d = result.to_dict()
    typer.echo(f"{days} days, {d['shoppers']} scored customers, {d['contacts']} contacts")
    typer.echo(f"{'id':>3}  {'name':<28} {'offers':>6} {'holdout':>7} {'blocked':>7} {'coupons':>7} {'reserved':>9} "
               f"{'redeem':>6} {'cost':>8} {'kept':>5} {'out of budget':>13}")
    for r in d["rules"]:
        out_day = f"day {r['budget_exhausted_on_day']}" if r["budget_exhausted_on_day"] else "-"
        typer.echo(f"{r['rule_id']:>3}  {r['name'][:28]:<28} {r['offers']:>6} {r['holdouts']:>7} {r['blocked']:>7} "
                   f"{r['coupons']:>7} {r['budget_reserved']:>9.2f} {r['expected_redemptions']:>6.1f} "
                   f"{r['expected_cost']:>8.2f} {r['expected_extra_retained']:>5.1f} {out_day:>13}")
        if r["coupons"]:
            typer.echo(f"     budget reserved by week: {', '.join(f'{x:.0f}' for x in r['budget_reserved_by_week'])}")
    e = d["expected_retention"]
    if e["lift"] is not None:
        typer.echo(f"expected retention: treatment {e['treatment']:.1%}, hold-out {e['holdout']:.1%}, lift {e['lift']:+.1%}")
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(d, indent=2))
        typer.echo(f"report written to {report}")


@app.command("report")
def report_cmd(
    rule_id: int = typer.Argument(..., help="Rule id"),
    retention_days: int = typer.Option(30, min=1, max=365, help="A purchase within this many days after the exposure counts as retained"),
    min_per_group: int = typer.Option(30, min=1, help="Smallest treatment and hold-out group for a risk-decile line"),
) -> None:
    """Print a rule's report as JSON: funnel per variant, retention treatment vs hold-out with a 95% interval."""
    from retention_model.offers.reports import rule_report
    from retention_model.offers.store import get_rule

    with context.session_factory()() as session:
        context.run_or_fail(get_rule, session, rule_id)
        typer.echo(json.dumps(rule_report(session, rule_id, retention_days, _now(), min_per_group), indent=2))


from cli import offers_uplift as _uplift  # noqa: E402  (a sub-group of its own module, registered here)

app.add_typer(_uplift.app, name="uplift")
