"""Canonical tables of the workspace store and their migrations.

Table and column names are the contract every other module relies on. `events.at`
is a SQL keyword: quote it as "at" in queries. Foreign
keys are validated by ingest rather than declared, because DuckDB forbids updating
a row that another table references, which would break upserts.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _t(name: str, key: tuple[str, ...], *cols: tuple) -> Table:
    return Table(name, tuple(Column(*c) for c in cols), key)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t(
            "products",
            ("product_id",),
            ("product_id", "VARCHAR", True),
            ("title", "VARCHAR"),
            ("brand", "VARCHAR"),
            ("category", "VARCHAR"),
            ("price", "DOUBLE"),
            ("currency", "VARCHAR"),
            ("description", "VARCHAR"),
            ("created_at", "TIMESTAMP"),
        ),
        _t(
            "customers",
            ("customer_id",),
            ("customer_id", "VARCHAR", True),
            ("name", "VARCHAR"),
            ("email", "VARCHAR"),
            ("phone", "VARCHAR"),
            ("country", "VARCHAR"),
            ("city", "VARCHAR"),
            ("signup_at", "TIMESTAMP"),
            ("channel", "VARCHAR"),
        ),
        _t(
            "orders",
            ("order_id",),
            ("order_id", "VARCHAR", True),
            ("customer_id", "VARCHAR", True),
            ("ordered_at", "TIMESTAMP", True),
            ("status", "VARCHAR"),
            ("total", "DOUBLE"),
        ),
        _t(
            "order_items",
            ("order_id", "product_id"),
            ("order_id", "VARCHAR", True),
            ("product_id", "VARCHAR", True),
            ("quantity", "INTEGER"),
            ("unit_price", "DOUBLE"),
        ),
        _t(
            "events",
            ("event_id",),
            ("event_id", "VARCHAR", True),
            ("customer_id", "VARCHAR", True),
            ("product_id", "VARCHAR"),
            ("event_type", "VARCHAR", True),
            ("at", "TIMESTAMP", True),
            ("query", "VARCHAR"),
        ),
        _t(
            "reviews",
            ("review_id",),
            ("review_id", "VARCHAR", True),
            ("product_id", "VARCHAR", True),
            ("customer_id", "VARCHAR"),
            ("rating", "INTEGER", True),
            ("title", "VARCHAR"),
            ("text", "VARCHAR"),
            ("created_at", "TIMESTAMP", True),
            ("verified", "BOOLEAN"),
            ("helpful_votes", "INTEGER"),
            ("language", "VARCHAR"),
        ),
        _t(
            "tickets",
            ("ticket_id",),
            ("ticket_id", "VARCHAR", True),
            ("customer_id", "VARCHAR", True),
            ("order_id", "VARCHAR"),
            ("opened_at", "TIMESTAMP", True),
            ("status", "VARCHAR"),
            ("subject", "VARCHAR"),
            ("text", "VARCHAR"),
        ),
    ]
}

ORDER_STATUSES = ("completed", "returned", "cancelled")
EVENT_TYPES = ("view", "cart", "wishlist", "search")

# Derived per-review sentiment, written by the labelling step (not by ingest).
DERIVED_REVIEW_TABLE = """
CREATE TABLE IF NOT EXISTS review_sentiment (
    review_id VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    text_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL
)
"""

INDEXES = [
    "CREATE INDEX IF NOT EXISTS orders_customer ON orders(customer_id)",
    "CREATE INDEX IF NOT EXISTS orders_date ON orders(ordered_at)",
    "CREATE INDEX IF NOT EXISTS items_product ON order_items(product_id)",
    "CREATE INDEX IF NOT EXISTS events_customer ON events(customer_id)",
    "CREATE INDEX IF NOT EXISTS events_product ON events(product_id)",
    'CREATE INDEX IF NOT EXISTS events_at ON events("at")',
    "CREATE INDEX IF NOT EXISTS reviews_product ON reviews(product_id)",
    "CREATE INDEX IF NOT EXISTS reviews_customer ON reviews(customer_id)",
    "CREATE INDEX IF NOT EXISTS reviews_date ON reviews(created_at)",
    "CREATE INDEX IF NOT EXISTS tickets_customer ON tickets(customer_id)",
    "CREATE INDEX IF NOT EXISTS products_category ON products(category)",
]


def create_table_sql(table: Table) -> str:
    cols = [f'"{c.name}" {c.type}' + (" NOT NULL" if c.required else "") for c in table.columns]
    cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in table.key) + ")")
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n    " + ",\n    ".join(cols) + "\n)"


# Each migration runs once, in order; the applied version is recorded in the store.
MIGRATIONS: list[list[str]] = [
    [create_table_sql(t) for t in TABLES.values()] + INDEXES,
    [DERIVED_REVIEW_TABLE],
]


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the store's schema to the latest version; returns that version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    current = row[0] or 0
    for version, statements in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        conn.execute("BEGIN")
        try:
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (?)", [version])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
