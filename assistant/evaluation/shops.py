"""Which demo shop a workspace holds, so a question set is never scored on the wrong one.

The English and Chinese demo shops share product and customer ids, so a case written
for one would run on the other and fail for reasons that have nothing to do with the
planner (a category 耳机 that does not exist, a figure of another shop). A case names
its shop (``shop: zh``); the run checks it against the store before asking anything.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from assistant.errors import UserError
from assistant.evaluation.cases import Case
from assistant.planner.language import question_language

DEMO_COMMANDS = {
    "en": "insight demo --data-dir WS",
    "zh": "insight demo --lang zh --data-dir WS",
}


def store_language(cur: duckdb.DuckDBPyConnection) -> str:
    """'zh' when the shop names its categories in Chinese, else 'en'.

    Category names, not review text: every shop has them, and the English shop's
    hostile and multilingual reviews would sway a count over review text."""
    names = [r[0] for r in cur.execute("SELECT DISTINCT category FROM products").fetchall()]
    return question_language(" ".join(str(n) for n in names if n))


def for_this_shop(
    cases: list[Case], cur: duckdb.DuckDBPyConnection
) -> tuple[list[Case], dict[str, int]]:
    """The cases the workspace's shop can answer, and per source file how many were left
    out as written for the other shop. A run over several sets (``evals/*.yaml``) keeps
    going on the sets that fit; it is refused only when none of its cases do."""
    if not any(c.shop for c in cases):
        return cases, {}
    have = store_language(cur)
    kept = [c for c in cases if not c.shop or c.shop == have]
    if not kept:
        check_shop(cases, cur)
    skipped: dict[str, int] = {}
    for c in cases:
        if c.shop and c.shop != have:
            skipped[c.source or "?"] = skipped.get(c.source or "?", 0) + 1
    return kept, skipped


def check_shop(cases: Iterable[Case], cur: duckdb.DuckDBPyConnection) -> None:
    """Refuse cases written for another shop than the one in the store."""
    wanted = {c.shop for c in cases if c.shop}
    if not wanted:
        return
    have = store_language(cur)
    other = sorted(wanted - {have})
    if not other:
        return
    misfits = [c for c in cases if c.shop in other]
    sources = sorted({c.source or "?" for c in misfits})
    raise UserError(
        f"{len(misfits)} case(s) are written for the {'/'.join(other)} demo shop, but this "
        f"workspace holds the {have} one: {', '.join(sources)}",
        hint="run them on a workspace built with `"
        + "` or `".join(DEMO_COMMANDS[s] for s in other)
        + "`",
    )
