"""Roles on the demo shop: a marketer gets no contact details from any tool, support
gets the buyer asked about, and PII typed into reviews is redacted for every role."""

from __future__ import annotations

import json
import re

import pytest

from assistant.agent import Assistant
from tools.registry import ROLE_TOOLS

# Independent of tools.safety: anything shaped like an email, or a run of 7+ digits
# with the usual phone separators.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")


@pytest.fixture(scope="module")
def assistant(demo_dir):
    with Assistant.open(demo_dir) as a:
        yield a


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


def pii_people(assistant, manifest, limit=5):
    ids = manifest["pii_customers"][:limit]
    cur = assistant.workspace.cursor()
    rows = cur.execute(
        "SELECT customer_id, name, email, phone FROM customers WHERE list_contains(?, customer_id) "
        "ORDER BY customer_id",
        [ids],
    ).fetchall()
    assert len(rows) == len(ids)
    return rows


def typed_pii(assistant, manifest) -> list[tuple[str, str, list[str]]]:
    """(review_id, product_id, PII strings typed into its text) for the planted reviews."""
    cur = assistant.workspace.cursor()
    out = []
    for rid in manifest["pii_review_ids"]:
        product, text = cur.execute(
            "SELECT product_id, coalesce(title, '') || ' ' || coalesce(text, '') FROM reviews "
            "WHERE review_id = ?",
            [rid],
        ).fetchone()
        found = EMAIL.findall(text) + [
            p for p in PHONE.findall(text) if sum(c.isdigit() for c in p) >= 7
        ]
        if found:
            out.append((rid, product, found))
    assert out, "the demo plants PII into review text"
    return out


def customer_products(assistant, customer_id) -> list[str]:
    rows = (
        assistant.workspace.cursor()
        .execute(
            "SELECT DISTINCT oi.product_id FROM orders o JOIN order_items oi USING (order_id) "
            "WHERE o.customer_id = ? ORDER BY 1 LIMIT 3",
            [customer_id],
        )
        .fetchall()
    )
    return [r[0] for r in rows]


def argument_sets(tool_name, schema, *, customer_id, name, email, product_id, category):
    """Arguments that steer a tool towards the customer with PII."""
    props = schema.get("properties", {})
    base: dict = {}
    if "k" in props:
        base["k"] = 10
    if tool_name == "sales_metrics":
        return [
            dict(metric=m, group_by=g) for m, g in (("revenue", "country"), ("orders", "product"))
        ]
    if tool_name == "analyze":
        # Rankings whose rows or evidence could carry a buyer: by country, city, channel.
        return [
            {"metric": "revenue", "by": ["city"]},
            {"metric": "customers", "by": ["channel"]},
            {"metric": "review_count", "by": ["product"], "filters": {"rating": [1, 2]}},
        ]
    if tool_name == "compare_products":
        other = "P0059" if product_id == "P0016" else "P0016"
        return [{"product_ids": [product_id, other]}]
    if tool_name == "find_customers":
        return [{}, {"category": category}, {"min_spend": 0}, {"sentiment": "negative"}]
    if tool_name == "segment_overview":
        return [{}]
    if tool_name == "review_sentiment":
        return [{"texts": [f"{name} {email} loved it"]}]
    values = {
        "customer_id": customer_id,
        "product_id": product_id,
        "query": name,
        "text": name,
        "category": category,
    }
    required = schema.get("required", [])
    unknown = [key for key in required if key not in values]
    assert not unknown, f"no values known for {tool_name} arguments {unknown}"
    base.update({key: values[key] for key in required})
    sets = [base]
    for key in ("query", "text"):
        if key in props:
            sets.append(dict(base, **{key: email}))
    for key in ("customer_id", "product_id", "category"):
        if key in props and key not in required:
            sets.append(dict(base, **{key: values[key]}))
    assert sets, f"no arguments known for {tool_name}: {sorted(props)}"
    return sets


def run_all(assistant, role, people):
    """Every tool of the role, asked about each person; returns (tool name, output JSON)."""
    tools = {t.name: t for t in assistant.tools(role)}
    outputs = []
    for customer_id, name, email, _phone in people:
        products = customer_products(assistant, customer_id) or ["P0001"]
        category = (
            assistant.workspace.cursor()
            .execute("SELECT category FROM products WHERE product_id = ?", [products[0]])
            .fetchone()[0]
        )
        for tool_name, tool in sorted(tools.items()):
            schema = tool.tool_call_schema.model_json_schema()
            for args in argument_sets(
                tool_name,
                schema,
                customer_id=customer_id,
                name=name,
                email=email,
                product_id=products[0],
                category=category,
            ):
                message = tool.invoke(
                    {"type": "tool_call", "id": "x", "name": tool_name, "args": args}
                )
                output = message.content + json.dumps(message.artifact, default=str)
                # What the caller typed may be echoed back; that is not a leak.
                for value in args.values():
                    if isinstance(value, str):
                        output = output.replace(value, "")
                outputs.append((tool_name, output))
    return tools, outputs


def test_marketer_sees_no_contact_details_from_any_tool(assistant, manifest):
    people = pii_people(assistant, manifest)
    tools, outputs = run_all(assistant, "marketer", people)
    assert set(tools) == set(ROLE_TOOLS["marketer"]) & set(tools)
    assert {name for name, _ in outputs} == set(tools)
    for tool_name, output in outputs:
        for customer_id, name, email, phone in people:
            for secret in (name, email, phone):
                assert secret not in output, f"{tool_name} leaked {secret!r} of {customer_id}"
        assert not EMAIL.search(output), f"{tool_name} returned an email address"


def test_support_sees_the_buyer_asked_about(assistant, manifest):
    customer_id, name, email, phone = pii_people(assistant, manifest, limit=1)[0]
    tool = {t.name: t for t in assistant.tools("support")}["customer_profile"]
    out = tool.invoke(
        {
            "type": "tool_call",
            "id": "x",
            "name": "customer_profile",
            "args": {"customer_id": customer_id},
        }
    )
    assert email in out.content and name in out.content


@pytest.mark.parametrize("role", ["marketer", "support", "admin"])
def test_pii_typed_into_reviews_is_redacted_for_every_role(assistant, manifest, role):
    tools = {t.name: t for t in assistant.tools(role)}
    planted = typed_pii(assistant, manifest)
    seen_reviews: set[str] = set()
    for review_id, product_id, secrets in planted[:10]:
        outputs = []
        for tool_name, args in (
            ("product_insights", {"product_id": product_id}),
            ("search_reviews", {"query": " ".join(secrets)}),
        ):
            if tool_name in tools:
                message = tools[tool_name].invoke(
                    {"type": "tool_call", "id": "x", "name": tool_name, "args": args}
                )
                # The query typed by the caller may be echoed back; that is not a leak.
                outputs.append(message.content.replace(args.get("query", "\0"), ""))
                seen_reviews |= set(message.artifact.get("evidence", {}).get("reviews", []))
        for secret in secrets:
            for output in outputs:
                assert secret not in output, f"{review_id}: {secret!r} reached a {role}"
    # The check looked at the planted reviews, not at results that happened to miss them.
    assert seen_reviews & {rid for rid, _, _ in planted}
