"""The digest's statistics and its rules file, without a shop."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tools import digest as dg


def test_two_proportion_z_matches_a_hand_count():
    # 9 of 15 against 0 of 8: pooled 9/23; se = sqrt(p(1-p)(1/15 + 1/8)).
    p = 9 / 23
    se = (p * (1 - p) * (1 / 15 + 1 / 8)) ** 0.5
    assert dg.z_two_proportions(9, 15, 0, 8) == pytest.approx(0.6 / se)
    assert dg.z_two_proportions(0, 15, 0, 8) is None  # no variation at all
    assert dg.z_two_proportions(3, 0, 1, 8) is None


def test_a_small_product_does_not_pass_the_shipped_rules():
    rules = dg.load_rules().detectors["complaint_spike"]
    # 2 angry reviews of 4 after 0 of 5: a big share, but not enough records.
    z = dg.z_two_proportions(2, 4, 0, 5)
    assert z is not None and (4 < rules.min_n or 2 < rules.min_hits or z < rules.z)
    # The same share on a real sample passes.
    assert dg.z_two_proportions(20, 40, 2, 50) >= rules.z


def test_count_surge_z():
    assert dg.z_counts(30, 10) == pytest.approx((30 - 20) / (40 / 4) ** 0.5)
    assert dg.z_counts(0, 0) is None


def test_change_point_finds_the_first_day_of_a_rise():
    start = date(2026, 2, 1)
    days = []
    for i in range(60):
        day = start + timedelta(days=i)
        hits = 1.0 if day >= date(2026, 3, 3) else 0.0
        days.append((day, hits, 1.0))
    assert dg.change_point(days) == date(2026, 3, 3)
    # A fall is not a rise: no split with a higher level after it.
    falling = [(d, 1.0 - h, n) for d, h, n in days]
    assert dg.change_point(falling) is None


def _doc(**over):
    doc = {
        "period_days": 30,
        "max_items": 10,
        "quotes_per_item": 3,
        "lookback_periods": 3,
        "baseline_periods": 3,
        "detectors": {"complaint_spike": {"min_n": 10, "z": 2.5}},
    }
    doc.update(over)
    return doc


def test_rules_parse_and_defaults():
    rules = dg.parse_rules(_doc())
    assert rules.detectors["complaint_spike"].min_n == 10
    assert rules.detectors["complaint_spike"].levels == ("product", "category")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"period_days": 0}, "period_days must be a whole number 1..366"),
        ({"detectors": {"spikes": {}}}, "detector 'spikes': unknown detector"),
        ({"detectors": {"complaint_spike": {"min_n": -1}}}, "min_n must be a number >= 0"),
        ({"detectors": {"complaint_spike": {"min_n": 2.5}}}, "min_n must be a whole number"),
        ({"detectors": {"complaint_spike": {"levels": ["brand"]}}}, "levels must be a list"),
        ({"detectors": {"complaint_spike": {"zz": 1}}}, "unknown key(s) ['zz']"),
        ({"detectors": {"at_risk_customers": {"top_share": 5}}}, "top_share is a share"),
        ({"colour": "red"}, "unknown key(s) ['colour']"),
        ({"detectors": {"new_topic": {"action_zh": ["x"]}}}, "action_zh must be a text"),
        ({"detectors": {"new_topic": {"action_fr": "x"}}}, "unknown key(s) ['action_fr']"),
    ],
)
def test_bad_rules_name_the_entry(change, message):
    with pytest.raises(dg.RulesError, match=None) as err:
        dg.parse_rules(_doc(**change), "rules.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("rules.yaml")


def test_the_shipped_rules_load_and_a_shop_edit_is_read(tmp_path):
    assert set(dg.load_rules().detectors) == set(dg.DETECTORS)
    own = tmp_path / "digest_rules.yaml"
    own.write_text(dg.RULES_FILE.read_text().replace("max_items: 12", "max_items: 2"))
    assert dg.load_rules(own).max_items == 2
    own.write_text("max_items: [")
    with pytest.raises(dg.RulesError, match="not valid YAML"):
        dg.load_rules(own)


def test_every_shipped_action_is_worded_in_chinese_with_the_same_blanks():
    import re

    for name, det in dg.load_rules().detectors.items():
        assert det.action and det.actions.get("zh"), name
        blanks = set(re.findall(r"{(\w+)}", det.action))
        assert set(re.findall(r"{(\w+)}", det.actions["zh"])) == blanks, name


def test_an_action_names_its_aspect_in_each_language():
    det = dg.Detector(
        "new_topic",
        action="Read the complaints about {aspect}.",
        actions={"zh": "阅读关于{aspect}的投诉。"},
    )
    out = dg._actions(det, aspect="battery")
    assert out == {
        "action": "Read the complaints about battery.",
        "actions": {"zh": "阅读关于电池的投诉。"},
    }
    # A rule the shop left without a Chinese action: the item has the English one only.
    assert dg._actions(dg.Detector("new_topic", action="Read {aspect}."), aspect="fit") == {
        "action": "Read fit."
    }
