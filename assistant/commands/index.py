"""`insight index` (derived data: sentiment labels, review index, recommender) and
`insight search` (the search_reviews tool from the command line)."""

from __future__ import annotations

import json

import typer

from assistant.commands import DataDir, app, echo_flags, open_workspace, stderr_is_tty


@app.command()
def index(
    data_dir: DataDir = None,
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Drop the review index and embed every review again."
    ),
):
    """Bring derived data up to date: sentiment labels, the review index, recommender models.

    Incremental: only new or changed reviews are embedded, deleted ones leave the index.
    """
    from assistant.pipeline import prepare

    with open_workspace(data_dir) as ws:
        prepare(ws, rebuild=rebuild, progress=stderr_is_tty(), report=typer.echo)


@app.command()
def search(
    query: str = typer.Argument("", help="What to look for (may be empty when filtering)."),
    product: str = typer.Option(None, "--product", help="Product id."),
    category: str = typer.Option(None, "--category", help="Category name."),
    min_rating: int = typer.Option(None, "--min-rating", help="Lowest star rating (1-5)."),
    max_rating: int = typer.Option(None, "--max-rating", help="Highest star rating (1-5)."),
    since: str = typer.Option(None, "--since", help="Earliest date, YYYY-MM-DD."),
    until: str = typer.Option(None, "--until", help="Latest date, YYYY-MM-DD (inclusive)."),
    sentiment: str = typer.Option(None, "--sentiment", help="positive, neutral or negative."),
    customer: str = typer.Option(None, "--customer", help="Customer id."),
    k: int = typer.Option(10, "--k", help="How many reviews to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the tool result as JSON."),
    data_dir: DataDir = None,
):
    """Search reviews by meaning and exact words, within filters."""
    args = {
        "query": query,
        "product_id": product,
        "category": category,
        "min_rating": min_rating,
        "max_rating": max_rating,
        "since": since,
        "until": until,
        "sentiment": sentiment,
        "customer_id": customer,
        "k": k,
    }
    with open_workspace(data_dir, read_only=True) as ws:
        toolbox = ws.toolbox(ws.settings.role)
        args = {k: v for k, v in args.items() if v is not None}
        result = toolbox.call("search_reviews", **args).unwrap()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(
        f"{result['n']} of {result['matched']} matching reviews ({result['indexed']} indexed)"
    )
    if result.get("message"):
        typer.echo(result["message"])
    for row in result["results"]:
        typer.echo(
            f"{row['review_id']}  {row['product_id']}  {row['rating']}*  {row['date']}  "
            f"score {row['score']:.4f}"
        )
        typer.echo(f"    {row['snippet']}")
    echo_flags(result)
