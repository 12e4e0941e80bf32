"""`insight` commands: demo."""

from __future__ import annotations

import time

import typer

from assistant.commands import DataDir, app, open_workspace


@app.command()
def demo(
    seed: int = typer.Option(7, "--seed", help="Random seed: same seed, same shop."),
    scale: float = typer.Option(
        1.0, "--scale", help="Size factor: 1 is ~16k orders and ~5k reviews; 20 is 100k+ reviews."
    ),
    lang: str = typer.Option(
        "en", "--lang", help="Language of the shop: en, or zh for the Chinese shop."
    ),
    data_dir: DataDir = None,
    no_derive: bool = typer.Option(
        False, "--no-derive", help="Only generate and load the data; skip sentiment, index, models."
    ),
):
    """Build the seeded demo shop into the workspace, then its derived data."""
    from assistant.config import load_settings
    from assistant.pipeline import build_demo

    target = data_dir if data_dir is not None else load_settings().data_dir
    started = time.perf_counter()
    summary = build_demo(target, seed=seed, scale=scale, lang=lang)
    typer.echo(f"demo shop (seed {seed}, scale {scale:g}, {lang}) in {summary['data_dir']}")
    if summary["replaced_previous_demo"]:
        typer.echo("  replaced the previous demo data in this workspace")
    for table, n in summary["row_counts"].items():
        typer.echo(f"  {table:<12} {n:>10,}")
    secs = summary["seconds"]
    typer.echo(f"generated in {secs['generate']:.1f}s, ingested in {secs['ingest']:.1f}s")
    _print_highlights(summary["manifest"])
    if not no_derive:
        from assistant.pipeline import prepare

        with open_workspace(target) as ws:
            prepare(ws, progress=True, report=lambda msg: typer.echo(f"  {msg}"))
    typer.echo(f"done in {time.perf_counter() - started:.1f}s")


def _print_highlights(manifest: dict) -> None:
    typer.echo("planted for testing (demo_manifest.json):")
    for d in manifest["defects"]:
        typer.echo(
            f"  defect: {d['product_id']} {d['title'].split(',')[0]} — {d['aspect']} since {d['since']}"
            f" ({len(d['review_ids'])} complaint reviews)"
        )
    typer.echo(
        f"  {len(manifest['pii_review_ids'])} reviews with contact details, "
        f"{len(manifest['hostile_review_ids'])} hostile reviews, "
        f"rare token {manifest['rare_token']['token']} in {manifest['rare_token']['review_id']}, "
        f"{len(manifest['browsers'])} browsers"
    )
