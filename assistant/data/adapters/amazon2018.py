"""Amazon Reviews 2018 JSON lines (plain or gzip): reviewerID, asin, overall,
summary, reviewText, unixReviewTime (seconds), verified, vote ("1,234"), style,
reviewerName.

Choices: a review's id hashes its reviewer, product, time, rating, summary and
text, so exact duplicate lines and lines differing only in ``style`` collapse to
one review while distinct reviews written the same day for the same product are
all kept. A review without text keeps its rating with an empty text (counted in
the notes). ``reviewerName`` becomes the customer's name: the store keeps the
original and roles mask names. The 2018 reviews carry no product metadata, so
products are id-only (title = asin) and never overwrite a stored title.
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


def _field(name: str) -> str:
    return f"""CASE WHEN _ok THEN nullif(trim(json_extract_string(_raw, '$.{name}')), '') END"""


def plan_reviews(cur: duckdb.DuckDBPyConnection, path: Path, read: Path | None = None) -> FilePlan:
    stage_lines(cur, read or path, "_lines")
    seconds = "TRY_CAST(unix_time AS BIGINT)"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _src AS
        WITH l AS (
            SELECT _line, line AS _raw,
                   {JSON_OBJECT_OK} AS _ok
            FROM _lines WHERE trim(coalesce(line, '')) <> ''
        ), x AS (
            SELECT _line, _raw, _ok,
                   {_field("reviewerID")} AS customer_id,
                   {_field("reviewerName")} AS customer_name,
                   {_field("asin")} AS product_id,
                   {_field("overall")} AS overall,
                   CASE WHEN _ok THEN json_extract_string(_raw, '$.summary') END AS title,
                   CASE WHEN _ok THEN coalesce(json_extract_string(_raw, '$.reviewText'), '')
                        END AS text,
                   {_field("unixReviewTime")} AS unix_time,
                   CASE WHEN _ok THEN TRY_CAST(json_extract_string(_raw, '$.verified')
                        AS BOOLEAN) END AS verified,
                   {_field("vote")} AS vote
            FROM l
        )
        SELECT 'R' || substr(md5(concat_ws('|', customer_id, product_id, unix_time, overall,
                   coalesce(title, ''), text)), 1, 16) AS review_id,
               customer_id, customer_name, product_id,
               CAST(TRY_CAST(overall AS DOUBLE) AS INTEGER) AS rating,
               title, text,
               make_timestamp({seconds} * 1000000) AS created_at,
               coalesce(verified, false) AS verified,
               coalesce(TRY_CAST(replace(vote, ',', '') AS INTEGER), 0) AS helpful_votes,
               CAST(NULL AS DOUBLE) AS unit_price,
               _line, _raw,
               CASE WHEN NOT _ok THEN 'malformed JSON (not a JSON object)' ELSE nullif(concat_ws(
                   '; ',
                   CASE WHEN customer_id IS NULL THEN 'missing reviewerID' END,
                   CASE WHEN product_id IS NULL THEN 'missing asin' END,
                   {rating_reason("overall", "overall")},
                   CASE WHEN {seconds} IS NULL
                        THEN 'unixReviewTime is not a whole number of seconds' END,
                   CASE WHEN vote IS NOT NULL
                         AND TRY_CAST(replace(vote, ',', '') AS INTEGER) IS NULL
                        THEN 'vote is not a number: ' || vote END), '') END AS _reason
        FROM x
    """)  # noqa: S608 -- JSON paths and SQL are constants of this adapter
    cur.execute("DROP TABLE _lines")
    return FilePlan(
        feed_batches(cur, with_names=True), rejected_sql=rejected_sql(), notes=feed_notes(cur)
    )
