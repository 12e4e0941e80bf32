"""What the interface prints is written for a shop user: no pattern identifiers, raw
fractions, key=value counts or markup shown literally (issue 16, item 4), and a way
to log out (item 5)."""

from __future__ import annotations

import re

from assistant.commands.reviews import change_line
from assistant.config import Settings
from assistant.flag_words import describe_flag, flags_sentence
from assistant.webapp import app as webapp


def test_comparison_block_reads_in_stars_and_points():
    line = change_line(
        {
            "review_count": -3,
            "average_rating": -2.557,
            "negative_share": 0.6701,
            "return_rate": None,
        }
    )
    assert line == (
        "reviews -3, average rating -2.56 stars, negative share +67.0 points, return rate n/a"
    )
    assert "0.6701" not in line


def test_flags_say_what_the_text_tried():
    assert describe_flag("R003191: override_instructions") == (
        "R003191 tells the assistant to ignore its instructions"
    )
    assert describe_flag("some_new_trick") == "a text some new trick"
    sentence = flags_sentence(["R1: role_play", "T9: tool_request"])
    assert "_" not in sentence.replace("R1", "").replace("T9", "")
    assert flags_sentence([]) == ""


def test_login_note_has_no_markup_and_the_buyer_note_is_not_repeated():
    assert not re.search(r"[`<>*]", webapp.LOGIN_NOTE)
    assert "insight users list" in webapp.LOGIN_NOTE
    # The buyer card itself says that contact details are hidden.
    assert not webapp.ROLE_NOTES["buyer"].get("marketer")


def _components(demo):
    return {getattr(c, "elem_id", None): c for c in demo.blocks.values()}


def test_log_out_button_only_with_login_and_audience_boxes_start_blank(tmp_path):
    settings = Settings(data_dir=tmp_path / "ws")
    users = tmp_path / "users.json"
    with_login = _components(webapp.create_app(None, settings, users_path=users))
    logout = with_login["logout"]
    assert logout.link == "/logout" and logout.visible
    assert not _components(webapp.create_app(None, settings, users_path=None))["logout"].visible
    # Blank spend and day boxes mean "any"; a number box would be sent as 0.
    for elem in ("aud-min", "aud-max", "aud-inactive"):
        assert with_login[elem].value in (None, "")
        assert with_login[elem].get_config()["name"] == "textbox"
    table = with_login["audience-table"]
    assert table.value["headers"] == [
        "customer_id",
        "segment",
        "orders",
        "spend",
        "recency_days",
        "clv",
        "churn_risk",
    ]


def test_every_injection_flag_has_words_a_shop_user_reads():
    from assistant.flag_words import TRICKS
    from tools.safety import flag_names

    assert set(flag_names()) <= set(TRICKS)
