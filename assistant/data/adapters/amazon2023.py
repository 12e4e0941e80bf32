"""Amazon Reviews 2023: reviews JSONL (rating, title, text, asin, parent_asin,
user_id, timestamp in ms, helpful_vote, verified_purchase) and optional meta
JSONL (parent_asin, title, main_category, categories, store, price, description,
details, features), plain or gzip.

Products are keyed by ``parent_asin`` (what meta describes); a review of a
variant is a review of its parent product. Meta gives title, brand (``store``,
else ``details.Brand``), category (the most specific entry of ``categories``,
else ``main_category``), price (first number in the field; unparseable prices
such as "None" leave the price empty rather than dropping the product) and the
description lines joined (else the feature bullets). Without meta, products are
id-only. Reviewers become customers without contact details. A review's id
hashes user_id, asin and timestamp (ms), so two different reviews with the same
triple are a conflict and are quarantined. Meta is loaded before reviews so
orders implied by verified reviews carry the product's price.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.data.adapters import JSON_OBJECT_OK, FilePlan, stage_lines
from assistant.data.adapters.review_feed import (
    feed_batches,
    feed_notes,
    rating_reason,
    rejected_sql,
)
from assistant.data.validate import Batch


def _field(path: str) -> str:
    return f"CASE WHEN _ok THEN nullif(trim(json_extract_string(_raw, '{path}')), '') END"


def _joined(path: str) -> str:
    """A list of strings joined by spaces, or the value itself when it is a string."""
    return (
        f"CASE WHEN NOT _ok THEN NULL WHEN json_type(_raw, '{path}') = 'ARRAY' "
        f"THEN nullif(trim(array_to_string(json_extract_string(_raw, '{path}[*]'), ' ')), '') "
        f"ELSE {_field(path)} END"
    )


def plan_reviews(cur: duckdb.DuckDBPyConnection, path: Path, read: Path | None = None) -> FilePlan:
    stage_lines(cur, read or path, "_lines")
    millis = "TRY_CAST(TRY_CAST(ts AS DOUBLE) AS BIGINT)"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _src AS
        WITH l AS (
            SELECT _line, line AS _raw, {JSON_OBJECT_OK} AS _ok
            FROM _lines WHERE trim(coalesce(line, '')) <> ''
        ), x AS (
            SELECT _line, _raw, _ok,
                   {_field("$.user_id")} AS customer_id,
                   {_field("$.asin")} AS asin,
                   coalesce({_field("$.parent_asin")}, {_field("$.asin")}) AS product_id,
                   {_field("$.rating")} AS stars,
                   CASE WHEN _ok THEN json_extract_string(_raw, '$.title') END AS title,
                   CASE WHEN _ok THEN coalesce(json_extract_string(_raw, '$.text'), '')
                        END AS text,
                   {_field("$.timestamp")} AS ts,
                   CASE WHEN _ok THEN TRY_CAST(json_extract_string(_raw, '$.verified_purchase')
                        AS BOOLEAN) END AS verified,
                   {_field("$.helpful_vote")} AS votes
            FROM l
        )
        SELECT 'R' || substr(md5(concat_ws('|', customer_id, coalesce(asin, x.product_id), ts)),
                   1, 16) AS review_id,
               x.customer_id, CAST(NULL AS VARCHAR) AS customer_name, x.product_id,
               CAST(TRY_CAST(stars AS DOUBLE) AS INTEGER) AS rating, x.title, text,
               make_timestamp({millis} * 1000) AS created_at,
               coalesce(verified, false) AS verified,
               coalesce(TRY_CAST(votes AS INTEGER), 0) AS helpful_votes,
               p.price AS unit_price,
               _line, _raw,
               CASE WHEN NOT _ok THEN 'malformed JSON (not a JSON object)' ELSE nullif(concat_ws(
                   '; ',
                   CASE WHEN x.customer_id IS NULL THEN 'missing user_id' END,
                   CASE WHEN x.product_id IS NULL THEN 'missing asin/parent_asin' END,
                   {rating_reason("stars", "rating")},
                   CASE WHEN {millis} IS NULL
                        THEN 'timestamp is not a number of milliseconds' END,
                   CASE WHEN votes IS NOT NULL AND TRY_CAST(votes AS INTEGER) IS NULL
                        THEN 'helpful_vote is not a whole number: ' || votes END), '')
               END AS _reason
        FROM x LEFT JOIN products p ON p.product_id = x.product_id
    """)  # noqa: S608 -- JSON paths and SQL are constants of this adapter
    cur.execute("DROP TABLE _lines")
    return FilePlan(
        feed_batches(cur, with_names=False), rejected_sql=rejected_sql(), notes=feed_notes(cur)
    )


def plan_meta(cur: duckdb.DuckDBPyConnection, path: Path, read: Path | None = None) -> FilePlan:
    stage_lines(cur, read or path, "_lines")
    price = (
        "TRY_CAST(replace(regexp_extract(price_text, '[0-9][0-9,]*(\\.[0-9]+)?'), ',', '') "
        "AS DOUBLE)"
    )
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _meta AS
        WITH l AS (
            SELECT _line, line AS _raw, {JSON_OBJECT_OK} AS _ok
            FROM _lines WHERE trim(coalesce(line, '')) <> ''
        ), x AS (
            SELECT _line, _raw, _ok,
                   {_field("$.parent_asin")} AS product_id,
                   {_field("$.title")} AS title,
                   coalesce({_field("$.store")}, {_field("$.details.Brand")}) AS brand,
                   coalesce({_field("$.categories[#-1]")}, {_field("$.main_category")})
                       AS category,
                   {_field("$.price")} AS price_text,
                   coalesce({_joined("$.description")}, {_joined("$.features")}) AS description
            FROM l
        )
        SELECT x.product_id, coalesce(x.title, p.title, x.product_id) AS title, x.brand,
               x.category, {price} AS price, x.description, price_text, _line, _raw,
               CASE WHEN NOT _ok THEN 'malformed JSON (not a JSON object)'
                    WHEN x.product_id IS NULL THEN 'missing parent_asin' END AS _reason
        FROM x LEFT JOIN products p ON p.product_id = x.product_id
    """)  # noqa: S608 -- JSON paths and SQL are constants of this adapter
    cur.execute("DROP TABLE _lines")
    lines, no_price = cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE _reason IS NULL AND price IS NULL "
        "AND price_text IS NOT NULL) FROM _meta"
    ).fetchone()
    batch = Batch(
        "products",
        "SELECT product_id, title, brand, category, price, description, _line, _raw "
        "FROM _meta WHERE _reason IS NULL",
        ["product_id", "title", "brand", "category", "price", "description"],
    )
    return FilePlan(
        [batch],
        rejected_sql="SELECT _line, _raw, _reason FROM _meta WHERE _reason IS NOT NULL",
        notes={"lines": lines, "unparseable_prices_left_empty": no_price},
    )
