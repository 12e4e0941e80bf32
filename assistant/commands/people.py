"""`insight` commands about buyers and sales: profile, audience, segments, recommend,
train, evaluate-recommender, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.commands import DataDir, app, echo_flags, open_workspace
from assistant.errors import UserError

JsonOpt = typer.Option(False, "--json", help="Print JSON.")


def _toolbox(ws, role: str | None):
    """The role's guarded entry to the tools: the CLI sees what chat would see."""
    return ws.toolbox(role or ws.settings.role)


def _dump(data) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command()
def profile(
    customer_id: str = typer.Argument(..., help="Customer id as stored in the shop data."),
    role: str = typer.Option(None, "--role", help="marketer | support | admin (default: setting)."),
    data_dir: DataDir = None,
    as_json: bool = JsonOpt,
):
    """Buyer context for one customer: orders, segment, churn risk, CLV, browsing, reviews."""
    with open_workspace(data_dir, read_only=True) as ws:
        p = _toolbox(ws, role).call("customer_profile", customer_id=customer_id).unwrap()
    if as_json:
        _dump(p)
        return
    ident = ", ".join(f"{k}: {v}" for k, v in p["identity"].items() if v and k != "customer_id")
    typer.echo(f"customer {p['customer_id']}  {ident}")
    rfm, churn = p["rfm"], p["churn"]
    typer.echo(
        f"segment {p['segment']} (R{rfm['r']} F{rfm['f']} M{rfm['m']})  "
        f"orders {p['orders']['total']} ({p['orders']['completed']} completed, "
        f"{p['orders']['returned']} returned)  spend {p['spend']}  AOV {p['average_order_value']}"
    )
    last = p["orders"]
    typer.echo(
        f"last order {last['last_order']} ({last['last_order_status']}); "
        f"last completed {last['last_completed']}, last returned {last['last_returned']}"
    )
    typer.echo(
        f"churn risk {churn['risk']}: {churn['days_since_last_order']} days since last order, "
        f"usual gap {churn['usual_gap_days']} days ({churn['gap_from']})"
    )
    typer.echo(f"CLV {p['clv']['estimate']}  ({p['clv']['method']})")
    if p["favourite_categories"]:
        typer.echo(
            "favourite categories: " + ", ".join(c["category"] for c in p["favourite_categories"])
        )
    b = p["browsing"]
    if b["interests_not_bought"]:
        typer.echo("browsed, never bought: " + ", ".join(b["interests_not_bought"]))
    for c in b["abandoned_carts"][:5]:
        typer.echo(f"abandoned cart: {c['product_id']} {c['title']} ({c['carted_at']})")
    for o in p["orders"]["recent"][:5]:
        typer.echo(f"order {o['order_id']} {o['ordered_at']} {o['status']} {o['total']}")
    for r in p["reviews"][:5]:
        typer.echo(
            f"review {r['review_id']} {r['rating']}* {r['sentiment'] or '-'}: {r['text'][:100]}"
        )
    for t in p["open_tickets"]:
        order = f", order {t['order_id']} {t['order_status'] or ''}" if t["order_id"] else ""
        typer.echo(
            f"open ticket {t['ticket_id']} ({t['status']}, {t['age_days']} days{order}): "
            f"{t['subject']} — {(t['text'] or '')[:200]}"
        )
    typer.echo(f"next best action: {p['next_best_action']['text']}")
    echo_flags(p)


@app.command()
def audience(
    segment: list[str] = typer.Option(None, "--segment", help="RFM segment (repeatable)."),
    category: str = typer.Option(None, "--category", help="Bought in this category."),
    min_spend: float = typer.Option(None, "--min-spend"),
    max_spend: float = typer.Option(None, "--max-spend"),
    inactive_days: int = typer.Option(None, "--inactive-days", help="No order for N+ days."),
    active_within_days: int = typer.Option(None, "--active-within-days"),
    churn_risk: list[str] = typer.Option(None, "--churn-risk", help="low | medium | high."),
    sentiment: str = typer.Option(None, "--sentiment", help="positive | neutral | negative."),
    aspect: str = typer.Option(None, "--aspect", help="Complained about this aspect."),
    viewed_category: str = typer.Option(None, "--viewed-category", help="Browsed, never bought."),
    country: str = typer.Option(None, "--country"),
    csv_path: Path = typer.Option(None, "--csv", help="Write every matching customer id here."),
    role: str = typer.Option(None, "--role"),
    data_dir: DataDir = None,
    as_json: bool = JsonOpt,
):
    """Count and sample an audience of customers; --csv exports all their ids."""
    filters = {
        "segment": segment or None,
        "category": category,
        "min_spend": min_spend,
        "max_spend": max_spend,
        "inactive_days": inactive_days,
        "active_within_days": active_within_days,
        "churn_risk": churn_risk or None,
        "sentiment": sentiment,
        "aspect": aspect,
        "viewed_category": viewed_category,
        "country": country,
    }
    with open_workspace(data_dir, read_only=True) as ws:
        result = (
            _toolbox(ws, role)
            .call(
                "find_customers",
                **{k: v for k, v in filters.items() if v is not None},
                all_ids=csv_path is not None,
            )
            .unwrap()
        )
    if csv_path is not None:
        from assistant.csv_export import write_table

        ids = result.pop("ids")
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            write_table(fh, ["customer_id"], ([i] for i in ids))
        result["csv"] = str(csv_path)
    if as_json:
        _dump(result)
        return
    typer.echo(
        f"{result['count']:,} of {result['of_customers']:,} customers match {result['filters']}"
    )
    for key, value in result["stats"].items():
        typer.echo(f"  {key}: {value}")
    typer.echo("sample: " + ", ".join(result["sample_ids"]))
    for note in result.get("notes", []):
        typer.echo(f"note: {note}")
    if csv_path is not None:
        typer.echo(f"wrote {result['count']:,} ids to {csv_path}")


@app.command()
def segments(
    data_dir: DataDir = None, role: str = typer.Option(None, "--role"), as_json: bool = JsonOpt
):
    """RFM segments with size, revenue share and average recency."""
    with open_workspace(data_dir, read_only=True) as ws:
        result = _toolbox(ws, role).call("segment_overview").unwrap()
    if as_json:
        _dump(result)
        return
    typer.echo(f"{'segment':<20}{'customers':>10}{'revenue %':>11}{'recency d':>11}{'avg CLV':>10}")
    for s in result["segments"]:
        typer.echo(
            f"{s['segment']:<20}{s['customers']:>10,}{100 * s['revenue_share']:>10.1f}%"
            f"{s['average_recency_days'] if s['average_recency_days'] is not None else '-':>11}"
            f"{s['average_clv'] or 0:>10.0f}"
        )
    typer.echo(f"as of {result['as_of']}; {result['method']}")


@app.command()
def recommend(
    customer: str = typer.Option(None, "--customer", help="One customer id."),
    customers: Path = typer.Option(None, "--customers", help="File with one customer id per line."),
    k: int = typer.Option(10, "--k", min=1, max=100),
    category: str = typer.Option(None, "--category", help="Only this category (single customer)."),
    data_dir: DataDir = None,
    as_json: bool = JsonOpt,
):
    """Recommendations for one customer, or for a file of ids (one JSON line per customer)."""
    from tools.recommend import recommend_batch

    if (customer is None) == (customers is None):
        raise UserError("give exactly one of --customer ID or --customers FILE")
    with open_workspace(data_dir, read_only=True) as ws:
        toolbox = _toolbox(ws, None)
        if customers is not None:
            if not customers.exists():
                raise UserError(f"no such file {customers}")
            # The batch scores many customers at once; each row is guarded like a call.
            with open(customers) as fh:
                for row in recommend_batch(toolbox.ctx, (line for line in fh), k=k):
                    typer.echo(json.dumps(toolbox.guard(row)))
            return
        args = {"customer_id": customer, "k": k, "category": category}
        result = toolbox.call(
            "recommend_for_customer", **{k: v for k, v in args.items() if v is not None}
        ).unwrap()
    if as_json:
        _dump(result)
        return
    typer.echo(f"for {result['customer_id']} ({result['method']}):")
    for it in result["recommendations"]:
        typer.echo(
            f"{it['rank']:>3}. {it['product_id']} {it['title']} [{it['category']}] - {it['reason']}"
        )


@app.command()
def train(data_dir: DataDir = None):
    """Retrain the recommender on the workspace's current data."""
    from assistant.pipeline import train_recommender

    with open_workspace(data_dir) as ws, ws.writer_lock():
        train_recommender(ws, report=typer.echo)


@app.command("evaluate-recommender")
def evaluate_recommender_cmd(
    k: int = typer.Option(10, "--k", min=1, max=100),
    max_users: int = typer.Option(
        None, "--max-users", help="Evaluate a random sample of customers."
    ),
    data_dir: DataDir = None,
    as_json: bool = JsonOpt,
):
    """Leave-last-out Recall@k and NDCG@k: blend vs ALS vs item-kNN vs content vs popularity."""
    from tools.recommend import evaluate_recommender

    with open_workspace(data_dir, read_only=True) as ws:
        result = evaluate_recommender(
            ws.conn, ws.settings.models_dir, lambda: ws.embedder, k, max_users
        )
    if as_json:
        _dump(result)
        return
    typer.echo(
        f"leave-last-out on {result['users']:,} customers, {result['items']:,} products, full ranking"
    )
    typer.echo(f"{'model':<12}{f'Recall@{k}':>12}{f'NDCG@{k}':>12}")
    for name, m in result["results"].items():
        typer.echo(f"{name:<12}{m[f'recall@{k}']:>12.4f}{m[f'ndcg@{k}']:>12.4f}")


@app.command()
def metrics(
    metric: str = typer.Argument(
        ..., help="revenue | orders | units | return_rate | average_rating | review_count"
    ),
    by: str = typer.Option(
        None, "--by", help="day | week | month | category | product | brand | country"
    ),
    since: str = typer.Option(None, "--since", help="First day, YYYY-MM-DD."),
    until: str = typer.Option(None, "--until", help="Last day, YYYY-MM-DD."),
    category: str = typer.Option(None, "--category"),
    product: str = typer.Option(None, "--product"),
    brand: str = typer.Option(None, "--brand"),
    country: str = typer.Option(None, "--country"),
    role: str = typer.Option(None, "--role"),
    data_dir: DataDir = None,
    as_json: bool = JsonOpt,
):
    """A shop figure over a period, optionally broken down by time or dimension."""
    args = {
        "metric": metric,
        "group_by": by,
        "since": since,
        "until": until,
        "category": category,
        "product_id": product,
        "brand": brand,
        "country": country,
    }
    with open_workspace(data_dir, read_only=True) as ws:
        result = (
            _toolbox(ws, role)
            .call("sales_metrics", **{k: v for k, v in args.items() if v is not None})
            .unwrap()
        )
    if as_json:
        _dump(result)
        return
    typer.echo(
        f"{metric}: {result['total']} ({result['n']:,} {result['counted_in']}) {result['filters']}"
    )
    for r in result["rows"]:
        label = f"{r['group']} {r.get('title') or ''}".strip()
        typer.echo(f"  {label:<40} {r['value']!s:>12}  n={r['n']:,}")
