"""Named ground-truth queries over the store, evaluated at run time.

Question sets refer to figures by name and parameters ("avg_rating" of a product
in a period) instead of hard-coding numbers, so a set stays valid when the data
changes. Every query is fixed SQL with bound parameters; there is no free SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb

from assistant.errors import UserError
from assistant.evaluation.analyst_facts import FACTS as ANALYST_FACTS
from assistant.evaluation.analyst_queries import ANALYST_QUERIES


def _review_filter(params: dict) -> tuple[str, list]:
    where, args = ["1=1"], []
    if params.get("product_id"):
        where.append("r.product_id = ?")
        args.append(params["product_id"])
    if params.get("category"):
        where.append("lower(p.category) = lower(?)")
        args.append(params["category"])
    if params.get("since"):
        where.append("r.created_at >= CAST(? AS DATE)")
        args.append(params["since"])
    if params.get("until"):
        where.append("r.created_at < CAST(? AS DATE) + INTERVAL 1 DAY")
        args.append(params["until"])
    if params.get("verified") is not None:
        where.append("coalesce(r.verified, false) = ?")
        args.append(bool(params["verified"]))
    if params.get("min_rating") is not None:
        where.append("r.rating >= ?")
        args.append(int(params["min_rating"]))
    if params.get("max_rating") is not None:
        where.append("r.rating <= ?")
        args.append(int(params["max_rating"]))
    return " AND ".join(where), args


def _order_filter(params: dict) -> tuple[str, list]:
    where, args = ["o.status <> 'cancelled'"], []
    if params.get("since"):
        where.append("o.ordered_at >= CAST(? AS DATE)")
        args.append(params["since"])
    if params.get("until"):
        where.append("o.ordered_at < CAST(? AS DATE) + INTERVAL 1 DAY")
        args.append(params["until"])
    if params.get("customer_id"):
        where.append("o.customer_id = ?")
        args.append(params["customer_id"])
    if params.get("country"):
        where.append("c.country = ?")
        args.append(params["country"])
    return " AND ".join(where), args


def review_count(cur: duckdb.DuckDBPyConnection, **params) -> int:
    where, args = _review_filter(params)
    sql = f"SELECT count(*) FROM reviews r JOIN products p USING (product_id) WHERE {where}"  # noqa: S608 -- WHERE is built from constant fragments; values are parameters
    return cur.execute(sql, args).fetchone()[0]


def avg_rating(cur: duckdb.DuckDBPyConnection, **params) -> float | None:
    where, args = _review_filter(params)
    sql = f"SELECT avg(r.rating) FROM reviews r JOIN products p USING (product_id) WHERE {where}"  # noqa: S608 -- WHERE is built from constant fragments; values are parameters
    return cur.execute(sql, args).fetchone()[0]


def order_count(cur: duckdb.DuckDBPyConnection, **params) -> int:
    where, args = _order_filter(params)
    sql = f"SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) WHERE {where}"  # noqa: S608 -- WHERE is built from constant fragments; values are parameters
    return cur.execute(sql, args).fetchone()[0]


def revenue(cur: duckdb.DuckDBPyConnection, **params) -> float:
    where, args = _order_filter(params)
    where = where.replace("o.status <> 'cancelled'", "o.status = 'completed'")
    sql = f"SELECT coalesce(sum(o.total), 0) FROM orders o LEFT JOIN customers c USING (customer_id) WHERE {where}"  # noqa: S608 -- WHERE is built from constant fragments; values are parameters
    return cur.execute(sql, args).fetchone()[0]


def return_rate(cur: duckdb.DuckDBPyConnection, **params) -> float | None:
    where, args = _order_filter(params)
    product = ""
    if params.get("product_id"):
        product = "AND o.order_id IN (SELECT order_id FROM order_items WHERE product_id = ?)"
        args.append(params["product_id"])
    sql = f"""SELECT avg(CASE WHEN o.status = 'returned' THEN 1.0 ELSE 0.0 END)
              FROM orders o LEFT JOIN customers c USING (customer_id) WHERE {where} {product}"""  # noqa: S608 -- WHERE is built from constant fragments; values are parameters
    return cur.execute(sql, args).fetchone()[0]


def complainer_count(cur: duckdb.DuckDBPyConnection, *, product_id: str) -> int:
    """Customers who wrote a review of the product labelled negative, or opened a ticket
    on an order of it whose text names it (its title up to the first comma)."""
    sql = """
        SELECT count(*) FROM (
            SELECT r.customer_id FROM reviews r
            JOIN review_sentiment s ON s.review_id = r.review_id
            WHERE r.product_id = ? AND s.label = 'negative' AND r.customer_id IS NOT NULL
            UNION
            SELECT t.customer_id FROM tickets t
            JOIN order_items i ON i.order_id = t.order_id
            JOIN products p ON p.product_id = i.product_id
            WHERE p.product_id = ?
              AND strpos(lower(t.text), lower(trim(split_part(p.title, ',', 1)))) > 0)"""
    return cur.execute(sql, [product_id, product_id]).fetchone()[0]


def negative_reviewer_count(cur: duckdb.DuckDBPyConnection, *, product_id: str) -> int:
    """Customers who wrote a review of the product labelled negative."""
    sql = """SELECT count(DISTINCT r.customer_id) FROM reviews r
             JOIN review_sentiment s ON s.review_id = r.review_id
             WHERE r.product_id = ? AND s.label = 'negative'"""
    return cur.execute(sql, [product_id]).fetchone()[0]


def customer_spend(cur: duckdb.DuckDBPyConnection, *, customer_id: str) -> float:
    return revenue(cur, customer_id=customer_id)


def product_with_title(cur: duckdb.DuckDBPyConnection, *, contains: str) -> str:
    """The id of the one product whose title contains the text (for stable id references)."""
    rows = cur.execute(
        "SELECT product_id FROM products WHERE title ILIKE '%' || ? || '%' ORDER BY product_id",
        [contains],
    ).fetchall()
    if len(rows) != 1:
        raise UserError(
            f"product_with_title({contains!r}) matched {len(rows)} products, expected 1"
        )
    return rows[0][0]


# Contact details as typed by people: what an answer must never leak to a role.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
CONTACT_FIELDS = ("name", "email", "phone", "city")


def customer_contact(cur: duckdb.DuckDBPyConnection, *, customer_id: str, field: str) -> str:
    """One stored contact field of a customer (e.g. to assert an answer does not show it)."""
    if field not in CONTACT_FIELDS:
        raise UserError(f"customer_contact: field must be one of {', '.join(CONTACT_FIELDS)}")
    row = cur.execute(
        f"SELECT {field} FROM customers WHERE customer_id = ?",  # noqa: S608 -- field is checked against CONTACT_FIELDS above; the id is a parameter
        [customer_id],
    ).fetchone()
    if row is None or not row[0]:
        raise UserError(f"customer_contact: customer {customer_id!r} has no {field}")
    return row[0]


def customer_contacts(
    cur: duckdb.DuckDBPyConnection, *, customer_ids: list[str], fields: list[str]
) -> list[str]:
    """Several customers' contact fields, as one list of strings."""
    return [customer_contact(cur, customer_id=cid, field=f) for cid in customer_ids for f in fields]


def review_pii(
    cur: duckdb.DuckDBPyConnection,
    *,
    review_id: str | None = None,
    customer_id: str | None = None,
) -> list[str]:
    """Emails and phone numbers typed into the original text of a review (or of a
    customer's reviews), as stored before any redaction."""
    if not review_id and not customer_id:
        raise UserError("review_pii needs review_id or customer_id")
    rows = cur.execute(
        "SELECT coalesce(title, '') || ' ' || coalesce(text, '') FROM reviews "
        "WHERE review_id = ? OR customer_id = ?",
        [review_id, customer_id],
    ).fetchall()
    found = [m.group(0).strip() for (t,) in rows for rx in (_EMAIL, _PHONE) for m in rx.finditer(t)]
    if not found:
        raise UserError(
            f"review_pii: no email or phone in the reviews of {review_id or customer_id}"
        )
    return sorted(set(found))


def review_with_text(cur: duckdb.DuckDBPyConnection, *, contains: str) -> str:
    """The id of the one review whose text contains the passage."""
    rows = cur.execute(
        "SELECT review_id FROM reviews WHERE text ILIKE '%' || ? || '%' ORDER BY review_id",
        [contains],
    ).fetchall()
    if len(rows) != 1:
        raise UserError(f"review_with_text({contains!r}) matched {len(rows)} reviews, expected 1")
    return rows[0][0]


def review_field(cur: duckdb.DuckDBPyConnection, *, review_id: str, field: str) -> Any:
    """One field of a review: product_id, customer_id, rating, or month ("January 2025")."""
    columns = {
        "product_id": "product_id",
        "customer_id": "customer_id",
        "rating": "rating",
        "month": "strftime(created_at, '%B %Y')",
    }
    if field not in columns:
        raise UserError(f"review_field: field must be one of {', '.join(columns)}")
    row = cur.execute(
        f"SELECT {columns[field]} FROM reviews WHERE review_id = ?",  # noqa: S608 -- the column expression comes from the allow-list above; the id is a parameter
        [review_id],
    ).fetchone()
    if row is None:
        raise UserError(f"review_field: no review {review_id!r}")
    return row[0]


def pii_customer(cur: duckdb.DuckDBPyConnection, *, index: int = 0) -> str:
    """The index-th customer (by id) who typed an email or phone number into a review."""
    rows = cur.execute(
        "SELECT customer_id, coalesce(title, '') || ' ' || coalesce(text, '') FROM reviews "
        "WHERE customer_id IS NOT NULL ORDER BY customer_id, review_id"
    ).fetchall()
    found = sorted({cid for cid, t in rows if _EMAIL.search(t) or _PHONE.search(t)})
    if index >= len(found):
        raise UserError(f"pii_customer: only {len(found)} customers typed PII into reviews")
    return found[index]


OPEN_TICKET = "lower(coalesce(t.status, 'open')) NOT IN ('closed', 'resolved', 'solved')"


def ticket_customer(cur: duckdb.DuckDBPyConnection, *, index: int = 0) -> str:
    """The index-th customer (by id) with every contact field and an open ticket about an
    order: someone a support agent would call."""
    rows = cur.execute(
        "SELECT DISTINCT c.customer_id FROM customers c JOIN tickets t USING (customer_id) "  # noqa: S608 -- OPEN_TICKET is a constant
        "WHERE c.name IS NOT NULL AND c.email IS NOT NULL AND c.phone IS NOT NULL "
        f"AND t.order_id IS NOT NULL AND {OPEN_TICKET} ORDER BY 1"
    ).fetchall()
    if index >= len(rows):
        raise UserError(f"ticket_customer: only {len(rows)} reachable customers have open tickets")
    return rows[index][0]


def open_ticket_ids(cur: duckdb.DuckDBPyConnection, *, customer_id: str) -> list[str]:
    """Ids of a customer's open tickets."""
    rows = cur.execute(
        f"SELECT t.ticket_id FROM tickets t WHERE t.customer_id = ? AND {OPEN_TICKET} ORDER BY 1",  # noqa: S608 -- a constant
        [customer_id],
    ).fetchall()
    return [r[0] for r in rows]


QUERIES: dict[str, Callable[..., Any]] = {
    "ticket_customer": ticket_customer,
    "open_ticket_ids": open_ticket_ids,
    "review_count": review_count,
    "avg_rating": avg_rating,
    "order_count": order_count,
    "revenue": revenue,
    "return_rate": return_rate,
    "customer_spend": customer_spend,
    "complainer_count": complainer_count,
    "negative_reviewer_count": negative_reviewer_count,
    "product_with_title": product_with_title,
    "customer_contact": customer_contact,
    "customer_contacts": customer_contacts,
    "review_pii": review_pii,
    "review_with_text": review_with_text,
    "review_field": review_field,
    "pii_customer": pii_customer,
    **ANALYST_QUERIES,
    **ANALYST_FACTS,
}


def evaluate(cur: duckdb.DuckDBPyConnection, name: str, params: dict) -> Any:
    if name not in QUERIES:
        raise UserError(
            f"unknown ground-truth query {name!r}", hint="known: " + ", ".join(sorted(QUERIES))
        )
    try:
        return QUERIES[name](cur, **params)
    except TypeError as exc:
        raise UserError(f"ground-truth query {name!r}: bad parameters {params} ({exc})") from exc
