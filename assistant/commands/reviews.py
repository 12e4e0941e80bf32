"""`insight sentiment`, `insight aspects` (JSON lines in, JSON lines out) and
`insight insights` (the product_insights tool from the command line)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from assistant.commands import DataDir, app, echo_flags, open_workspace
from assistant.errors import UserError

BATCH = 256

InputFile = typer.Argument(
    None, help="Input file; '-' or nothing reads standard input.", show_default=False
)


def _lines(path: Path | None) -> Iterator[tuple[int, str]]:
    if path is None or str(path) == "-":
        for no, line in enumerate(sys.stdin, start=1):
            yield no, line.rstrip("\n")
        return
    if not path.is_file():
        raise UserError(f"no such input file: {path}")
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, start=1):
            yield no, line.rstrip("\n")


def _batches(items: Iterator, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Models:
    """The workspace's trained sentiment model and taxonomy when there is a workspace;
    otherwise VADER and the packaged taxonomy (said once on stderr)."""

    def __init__(self, data_dir: Path | None):
        from assistant.config import load_settings
        from tools.aspects import workspace_taxonomy
        from tools.sentiment import load_model

        settings = load_settings(data_dir=data_dir)
        self.model = load_model(settings.models_dir) if settings.store_path.exists() else None
        self.taxonomy = workspace_taxonomy(settings.data_dir)
        if self.model is None:
            typer.echo(
                f"note: no trained sentiment model in {settings.data_dir}; using VADER",
                err=True,
            )
        from vectorstore.embeddings import load_embedder

        self.embedder = load_embedder(
            settings.embedding_model, batch_size=settings.embedding_batch_size
        )
        self.aspect_vecs = None

    def run(self, texts: list[str], terms: list[list[str]] | None = None) -> list[dict]:
        from tools.aspects import aspect_matrix
        from tools.sentiment import sentiment_with_aspects

        if self.aspect_vecs is None:
            self.aspect_vecs = aspect_matrix(self.taxonomy, self.embedder)
        return sentiment_with_aspects(
            texts,
            model=self.model,
            embedder=self.embedder,
            taxonomy=self.taxonomy,
            terms=terms,
            aspect_vecs=self.aspect_vecs,
        )


@app.command()
def sentiment(file: Path = InputFile, data_dir: DataDir = None):
    """One text per line in; one JSON object per line out: label, score in [-1, 1]
    (and per-sentence results for texts with several clauses)."""
    from tools.sentiment import analyze

    models = _Models(data_dir)
    for batch in _batches(_lines(file)):
        texts = [t for _, t in batch]
        model = models.model
        for text, res in zip(
            texts, analyze(texts, model=model, embedder=models.embedder), strict=True
        ):
            typer.echo(json.dumps({"text": text, **res}, ensure_ascii=False))


def _parse_aspect_line(no: int, line: str, where: str) -> tuple[str, list[str]]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}:{no}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise UserError(f'{where}:{no}: expected an object with a "text" string')
    terms = obj.get("aspects") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise UserError(f'{where}:{no}: "aspects" must be a list of strings')
    return obj["text"], terms


@app.command()
def aspects(file: Path = InputFile, data_dir: DataDir = None):
    """JSON lines in ({"text": ..., "aspects": [optional terms]}); JSON lines out with
    each aspect's aspect, term, polarity and score. Without terms, aspects are detected
    from the taxonomy (the workspace's aspects.yaml if it has one)."""
    models = _Models(data_dir)
    where = "stdin" if file is None or str(file) == "-" else str(file)
    lines = ((no, line) for no, line in _lines(file) if line.strip())
    for batch in _batches(lines):
        parsed = [_parse_aspect_line(no, line, where) for no, line in batch]
        results = models.run([t for t, _ in parsed], [terms for _, terms in parsed])
        for (text, _), res in zip(parsed, results, strict=True):
            out = {
                "text": text,
                "label": res["label"],
                "score": res["score"],
                "aspects": [
                    {k: a.get(k) for k in ("aspect", "term", "polarity", "score", "clause")}
                    for a in res["aspects"]
                ],
            }
            typer.echo(json.dumps(out, ensure_ascii=False))


@app.command()
def insights(
    product: str = typer.Option(None, "--product", help="Product id."),
    category: str = typer.Option(None, "--category", help="Category name (any spelling)."),
    since: str = typer.Option(None, "--since", help="First day, YYYY-MM-DD (default: all time)."),
    until: str = typer.Option(None, "--until", help="Last day, YYYY-MM-DD (inclusive)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tool result as JSON."),
    data_dir: DataDir = None,
):
    """Product insight: reviews, rating trend, sentiment, praised and complained aspects,
    return rate, and the change versus the previous period."""
    args = {"product_id": product, "category": category, "since": since, "until": until}
    with open_workspace(data_dir, read_only=True) as ws:
        toolbox = ws.toolbox(ws.settings.role)
        res = toolbox.call(
            "product_insights", **{k: v for k, v in args.items() if v is not None}
        ).unwrap()
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, default=str))
        return
    _print_insights(res)


def _points(delta: float | None) -> str:
    # Shares change by percentage points; a bare fraction like 0.6701 read as a raw value.
    return "n/a" if delta is None else f"{delta * 100:+.1f} points"


def change_line(ch: dict) -> str:
    """The comparison with the previous period in words: counts, stars and points."""
    rating = ch["average_rating"]
    return (
        f"reviews {ch['review_count']:+,d}, average rating "
        f"{'n/a' if rating is None else f'{rating:+.2f} stars'}, "
        f"negative share {_points(ch['negative_share'])}, "
        f"return rate {_points(ch['return_rate'])}"
    )


def _pct(s: dict | None) -> str:
    if not s or s.get("share") is None:
        return "n/a"
    lo, hi = s["ci95"]
    return f"{s['share']:.0%} ({s['count']}/{s['n']}, 95% CI {lo:.0%}-{hi:.0%})"


def _print_insights(res: dict) -> None:
    subj = res["subject"]
    name = subj.get("title") or subj.get("category")
    pid = f"{subj['product_id']} " if subj.get("product_id") else ""
    period = res["period"]
    typer.echo(f"{pid}{name}  [{period['since'] or 'start'} .. {period['until']}]")
    avg = res["average_rating"]
    typer.echo(
        f"reviews: {res['review_count']}   average rating: "
        f"{'n/a' if avg is None else f'{avg:.2f}'} ({res['rated_count']} rated)   "
        f"trend: {res['rating_trend']['direction'] or 'n/a'}"
    )
    sent = res["sentiment"]
    typer.echo(
        "sentiment: "
        + ", ".join(f"{lab} {_pct(sent[lab])}" for lab in ("positive", "neutral", "negative"))
    )
    typer.echo(f"return rate: {_pct(res['return_rate'])}")
    for title, key in (("top complaints", "top_complained"), ("top praise", "top_praised")):
        typer.echo(f"{title}:")
        for a in res[key]:
            typer.echo(f"  {a['aspect']:<18} {_pct(a)}")
            for q in a["quotes"]:
                typer.echo(f'      {q["review_id"]}: "{q["snippet"]}"')
    ch = res.get("changes")
    if ch:
        prev = res["previous_period"]
        typer.echo(f"vs {prev['since']} .. {prev['until']}:")
        typer.echo("  " + change_line(ch))
        for r in ch["rising_complaints"]:
            typer.echo(
                f"  rising: {r['aspect']} {r['share_before'] or 0:.0%} -> {r['share_now']:.0%}"
                + (" (new)" if r["new"] else "")
            )
    echo_flags(res)
