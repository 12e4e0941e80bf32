"""An audience named in chat, written to a CSV the marketer can open: every member,
not the sample the answer lists. Files go to the workspace's ``exports/`` folder and
through assistant/csv_export.py (no cell runs as a formula in a spreadsheet)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from assistant.csv_export import write_table
from assistant.errors import InsightError
from tools.context import ToolContext
from tools.customers import find_customers

log = logging.getLogger(__name__)
COLUMNS = ("customer_id", "segment", "spend", "orders", "days_since_last_order", "churn_risk")
# The largest audience written in one file from chat; the Audiences tab exports more.
MAX_ROWS = 100_000


def audience_csv(ctx: ToolContext, args: dict) -> str | None:
    """The path of a CSV of the whole audience ``args`` describe (find_customers'
    arguments), or None when the workspace has no folder for it."""
    if ctx.models_dir is None:
        return None
    filters = {k: v for k, v in args.items() if k != "k"}
    try:
        result = find_customers(ctx, **filters, sample=MAX_ROWS)
    except InsightError as exc:
        log.warning("audience CSV not written: %s", exc)
        return None
    # Named by the filters (no digits of a hash: answers are checked for stray numbers).
    digest = hashlib.sha1(json.dumps(filters, sort_keys=True, default=str).encode()).digest()
    name = "audience-" + "".join(chr(ord("a") + b % 26) for b in digest[:8]) + ".csv"
    folder = Path(ctx.models_dir).parent / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        write_table(fh, COLUMNS, ({c: row[c] for c in COLUMNS} for row in result["customers"]))
    return str(path)
