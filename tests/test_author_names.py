"""A reviewer who types their own name into a review is not named to a marketer, on
every front end (they all go through the Toolbox); support may see it."""

from __future__ import annotations

from assistant.workspace import Workspace
from tests.fakes import build_tiny_shop, tiny_specs
from tools.toolbox import Toolbox


def _shop(tmp_path):
    path = tmp_path / "ws"
    build_tiny_shop(path)
    with Workspace.open(path) as ws:
        ws.conn.execute(
            "UPDATE reviews SET text = 'Ada Lovelace here: the battery died. Ada out.' "
            "WHERE review_id = 'R1'"
        )
    return path


def _texts(path, role: str) -> dict[str, str]:
    with Workspace.open(path, read_only=True) as ws:
        box = Toolbox(ws.tool_context(role), tiny_specs())
        result = box.call("search_reviews", query="battery").result
    return {r["review_id"]: r["text"] for r in result["reviews"]}


def test_marketer_never_sees_the_authors_own_name_in_their_text(tmp_path):
    texts = _texts(_shop(tmp_path), "marketer")
    assert "Ada" not in texts["R1"] and "Lovelace" not in texts["R1"]
    assert texts["R1"] == "[name] here: the battery died. [name] out."
    # Another customer's review is untouched by Ada's name.
    assert "Battery is bad" in texts["R2"]


def test_support_sees_the_text_as_written(tmp_path):
    texts = _texts(_shop(tmp_path), "support")
    assert texts["R1"].startswith("Ada Lovelace here")
