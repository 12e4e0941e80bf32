"""Turn a staged review feed into canonical batches. Shared by the Amazon adapters.

The feed is a temp table ``_src`` with one row per source line: review_id,
customer_id, customer_name, product_id, rating, title, text, created_at,
verified, helpful_votes, unit_price, _line, _raw and _reason (why the line is
unusable, or NULL). Only usable lines produce rows; a verified review implies a
purchase, so it becomes a completed order of one item with a deterministic id.
"""

from __future__ import annotations

import duckdb

from assistant.data.validate import Batch

GOOD = "FROM _src WHERE _reason IS NULL"
ORDER_ID = "'O' || substr(md5('order|' || review_id), 1, 16)"


def rejected_sql() -> str:
    return "SELECT _line, _raw, _reason FROM _src WHERE _reason IS NOT NULL"


def feed_batches(cur: duckdb.DuckDBPyConnection, *, with_names: bool) -> list[Batch]:
    """Products (id-only stubs), customers, orders, order items, reviews — parents first."""
    customer_cols = ["customer_id", "name"] if with_names else ["customer_id"]
    name_expr = ", arg_max(customer_name, created_at) AS name" if with_names else ""
    return [
        Batch(
            "products",
            f"SELECT product_id, product_id AS title, min(_line) AS _line, NULL AS _raw "
            f"{GOOD} GROUP BY product_id",
            ["product_id", "title"],
            report_duplicates=False,
            insert_only=True,
        ),
        Batch(
            "customers",
            f"SELECT customer_id{name_expr}, min(_line) AS _line, NULL AS _raw "
            f"{GOOD} GROUP BY customer_id",
            customer_cols,
            report_duplicates=False,
        ),
        Batch(
            "orders",
            f"SELECT {ORDER_ID} AS order_id, any_value(customer_id) AS customer_id, "
            "any_value(created_at) AS ordered_at, 'completed' AS status, "
            "any_value(unit_price) AS total, min(_line) AS _line, NULL AS _raw "
            f"{GOOD} AND verified GROUP BY review_id",
            ["order_id", "customer_id", "ordered_at", "status", "total"],
            report_duplicates=False,
        ),
        Batch(
            "order_items",
            f"SELECT {ORDER_ID} AS order_id, any_value(product_id) AS product_id, "
            "1 AS quantity, any_value(unit_price) AS unit_price, min(_line) AS _line, "
            f"NULL AS _raw {GOOD} AND verified GROUP BY review_id",
            ["order_id", "product_id", "quantity", "unit_price"],
            report_duplicates=False,
        ),
        Batch(
            "reviews",
            "SELECT review_id, product_id, customer_id, rating, title, text, created_at, "
            f"verified, helpful_votes, _line, _raw {GOOD}",
            [
                "review_id",
                "product_id",
                "customer_id",
                "rating",
                "title",
                "text",
                "created_at",
                "verified",
                "helpful_votes",
            ],
        ),
    ]


def feed_notes(cur: duckdb.DuckDBPyConnection) -> dict:
    lines, usable, no_text, verified = cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE _reason IS NULL), "
        "count(*) FILTER (WHERE _reason IS NULL AND text = ''), "
        "count(*) FILTER (WHERE _reason IS NULL AND verified) FROM _src"
    ).fetchone()
    return {
        "lines": lines,
        "usable_lines": usable,
        "reviews_without_text": no_text,
        "verified_lines": verified,
    }


def rating_reason(expr: str, field: str) -> str:
    """Reason SQL for a star rating that is not a whole number 1..5."""
    d = f"TRY_CAST({expr} AS DOUBLE)"
    return (
        f"CASE WHEN {expr} IS NULL THEN 'missing {field}' "
        f"WHEN {d} IS NULL OR {d} <> round({d}) OR {d} NOT BETWEEN 1 AND 5 "
        f"THEN '{field} must be a whole number 1-5 (got ' || left({expr}, 40) || ')' END"
    )
