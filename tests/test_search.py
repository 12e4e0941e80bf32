"""search_reviews on the demo shop: the planted Aurora battery complaints come first,
the rare token is found by its exact spelling, every filter holds for every row
(checked against the store with SQL), and absurd filters are clear messages."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.errors import NotFoundError, UserError
from tools.context import ToolContext
from tools.reviews import search_reviews
from tools.toolbox import Toolbox


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return ToolContext(
        demo_ws.cursor,
        role="marketer",
        models_dir=demo_ws.settings.models_dir,
        embedder_loader=lambda: demo_ws.embedder,
        index_loader=lambda: demo_ws.review_index,
    )


@pytest.fixture(scope="module")
def aurora(manifest):
    return next(d for d in manifest["defects"] if d["aspect"] == "battery")


def test_planted_battery_complaints_come_first(ctx, aurora):
    res = search_reviews(
        ctx, "battery dies quickly, does not hold a charge", product_id=aurora["product_id"], k=10
    )
    planted = set(aurora["review_ids"])
    assert res["n"] == 10
    assert all(r["review_id"] in planted for r in res["results"]), [
        (r["review_id"], r["snippet"]) for r in res["results"]
    ]
    assert res["evidence"]["reviews"] == [r["review_id"] for r in res["results"]]
    json.dumps(res)  # the agent gets JSON


def test_battery_complaints_found_without_a_product_filter(ctx, aurora):
    res = search_reviews(ctx, "Aurora headphones battery drains fast", category="Headphones", k=10)
    planted = set(aurora["review_ids"])
    assert sum(r["review_id"] in planted for r in res["results"]) >= 8


def test_rare_token_in_top_three(ctx, manifest):
    token, review_id = manifest["rare_token"]["token"], manifest["rare_token"]["review_id"]
    res = search_reviews(ctx, f"problem with the {token} part", k=10)
    assert review_id in [r["review_id"] for r in res["results"][:3]]
    hit = next(r for r in res["results"] if r["review_id"] == review_id)
    assert hit["bm25"] and hit["bm25"] > 0


FILTER_CASES = [
    dict(min_rating=1, max_rating=2),
    dict(min_rating=4),
    dict(category="Kitchen", since="2025-06-01", until="2025-12-31"),
    dict(sentiment="negative", category="Headphones"),
    dict(max_rating=3, since="2026-01-01"),
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f))
def test_every_row_honours_the_filters(ctx, demo_ws, filters):
    res = search_reviews(ctx, "quality problem after a few weeks", k=25, **filters)
    assert res["n"] > 0
    cur = demo_ws.cursor()
    for row in res["results"]:
        rid = row["review_id"]
        rating, created, category, label = cur.execute(
            "SELECT r.rating, r.created_at, p.category, s.label FROM reviews r "
            "JOIN products p USING (product_id) "
            "LEFT JOIN review_sentiment s USING (review_id) WHERE r.review_id = ?",
            [rid],
        ).fetchone()
        assert row["rating"] == rating and row["date"] == created.date().isoformat()
        if "min_rating" in filters:
            assert rating >= filters["min_rating"], rid
        if "max_rating" in filters:
            assert rating <= filters["max_rating"], rid
        if "since" in filters:
            assert created.date() >= date.fromisoformat(filters["since"]), rid
        if "until" in filters:
            assert created.date() <= date.fromisoformat(filters["until"]), rid
        if "category" in filters:
            assert category == filters["category"], rid
        if "sentiment" in filters:
            assert label == filters["sentiment"], rid
    # "matched" is the number of reviews that satisfy the filters, counted independently.
    where, args = ["1=1"], []
    for key, sql in (
        ("min_rating", "r.rating >= ?"),
        ("max_rating", "r.rating <= ?"),
        ("since", "CAST(r.created_at AS DATE) >= ?"),
        ("until", "CAST(r.created_at AS DATE) <= ?"),
        ("category", "p.category = ?"),
        ("sentiment", "s.label = ?"),
    ):
        if key in filters:
            where.append(sql)
            args.append(filters[key])
    expected = cur.execute(
        "SELECT count(*) FROM reviews r JOIN products p USING (product_id) "  # noqa: S608 -- WHERE is built from the test's constant fragments; values are parameters
        "LEFT JOIN review_sentiment s USING (review_id) WHERE " + " AND ".join(where),
        args,
    ).fetchone()[0]
    assert res["matched"] == expected


def test_product_and_customer_filters(ctx, demo_ws, aurora):
    cur = demo_ws.cursor()
    customer = cur.execute(
        "SELECT customer_id FROM reviews GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1"
    ).fetchone()[0]
    res = search_reviews(ctx, "good", customer_id=customer, k=50)
    expected = {
        r[0]
        for r in cur.execute(
            "SELECT review_id FROM reviews WHERE customer_id = ?", [customer]
        ).fetchall()
    }
    assert {r["review_id"] for r in res["results"]} <= expected
    assert res["matched"] == len(expected)
    assert res["evidence"]["customers"] == [customer]

    res = search_reviews(ctx, "sound", product_id=aurora["product_id"], k=20)
    assert res["n"] == 20
    assert {r["product_id"] for r in res["results"]} == {aurora["product_id"]}


def test_no_query_lists_newest_within_filters(ctx, demo_ws, aurora):
    res = search_reviews(ctx, "", product_id=aurora["product_id"], k=5)
    newest = (
        demo_ws.cursor()
        .execute(
            "SELECT CAST(created_at AS DATE) FROM reviews WHERE product_id = ? "
            "ORDER BY created_at DESC LIMIT 5",
            [aurora["product_id"]],
        )
        .fetchall()
    )
    assert [r["date"] for r in res["results"]] == [d[0].isoformat() for d in newest]


def test_snippets_are_redacted(ctx, demo_ws, manifest):
    rid = manifest["pii_review_ids"][0]
    product_id, text = (
        demo_ws.cursor()
        .execute("SELECT product_id, text FROM reviews WHERE review_id = ?", [rid])
        .fetchone()
    )
    res = search_reviews(ctx, text, product_id=product_id, k=5)
    assert rid in res["evidence"]["reviews"]
    for row in res["results"]:
        assert "@" not in row["snippet"]


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(min_rating=4, max_rating=2), "min_rating 4 is above max_rating 2"),
        (dict(min_rating=9), "1 to 5"),
        (dict(since="2026-05-01", until="2026-01-01"), "is after until"),
        (dict(since="last tuesday"), "not a date"),
        (dict(sentiment="furious"), "unknown sentiment"),
        (dict(k=0), "k must be"),
    ],
)
def test_absurd_filters_are_clear_errors(ctx, kwargs, needle):
    with pytest.raises(UserError) as err:
        search_reviews(ctx, "battery", **kwargs)
    assert needle in str(err.value)


def test_unknown_product_and_category(ctx):
    with pytest.raises(NotFoundError) as err:
        search_reviews(ctx, "battery", product_id="P9999")
    assert "P9999" in str(err.value)
    with pytest.raises(NotFoundError) as err:
        search_reviews(ctx, "battery", category="Spaceships")
    assert "Spaceships" in str(err.value)
    # A category spelled differently still resolves.
    res = search_reviews(ctx, "battery", category="headphones", k=3)
    assert res["filters"]["category"] == "Headphones"


def test_filters_matching_nothing_are_a_message(ctx):
    res = search_reviews(ctx, "battery", category="Books", since="2024-01-01", until="2024-01-01")
    if res["matched"] == 0:
        assert res["results"] == [] and "no indexed review" in res["message"]


def test_toolbox_returns_error_dicts(ctx):
    def tool(**args):
        return Toolbox(ctx).call("search_reviews", **args).result

    out = tool(query="battery", min_rating=5, max_rating=1)
    assert out["error"] == "UserError" and "above max_rating" in out["message"]
    out = tool(query="battery", k=3)
    assert out["n"] == 3 and len(out["evidence"]["reviews"]) == 3
    # The planner passes every argument, unset ones as None.
    out = tool(query="battery", k=None, product_id=None, since=None)
    assert out["n"] == 10


def test_search_command_json(demo_dir, aurora):
    from typer.testing import CliRunner

    from assistant.cli import app

    res = CliRunner().invoke(
        app,
        [
            "search",
            "battery will not charge",
            "--product",
            aurora["product_id"],
            "--min-rating",
            "1",
            "--max-rating",
            "2",
            "--k",
            "5",
            "--json",
            "--data-dir",
            str(demo_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n"] == 5
    assert all(r["product_id"] == aurora["product_id"] and r["rating"] <= 2 for r in out["results"])

    bad = CliRunner().invoke(app, ["search", "x", "--min-rating", "9", "--data-dir", str(demo_dir)])
    assert bad.exit_code == 2 and "1 to 5" in bad.output
