import pytest

from assistant.errors import DataError
from tools.aliases import aliases, aspect_label, group


def test_a_name_finds_its_whole_group_from_either_language():
    assert group("categories", "耳机")[0] == "Headphones"
    assert "耳机" in group("categories", " headphones ")
    assert group("categories", "Garden gnomes") == []
    assert group("aspects", "续航")[0] == "battery"


def test_aspect_labels_follow_the_answer_language():
    assert aspect_label("battery", "zh") == "电池"
    assert aspect_label("size_fit", "en") == "size fit"
    assert aspect_label("unheard_of", "zh") == "unheard of"


def test_a_workspace_file_adds_and_replaces_entries(tmp_path):
    (tmp_path / "aliases.yaml").write_text(
        "categories:\n  Headphones: [头戴设备]\n  Garden: [园艺]\n", encoding="utf-8"
    )
    assert group("categories", "园艺", tmp_path) == ["Garden", "园艺"]
    assert group("categories", "头戴设备", tmp_path) == ["Headphones", "头戴设备"]
    assert group("categories", "耳机", tmp_path) == []  # replaced, not merged
    assert "Kitchen" in aliases(tmp_path)["categories"]


@pytest.mark.parametrize(
    "text, where",
    [
        ("categories: [a, b]\n", "'categories' must map"),
        ("categories:\n  Toys: 3\n", "categories.Toys must be a list"),
        ("colours:\n  red: [红]\n", "unknown section"),
        ("categories: {a: [b\n", "not valid YAML"),
    ],
)
def test_a_broken_workspace_file_says_what_is_wrong_and_where(tmp_path, text, where):
    (tmp_path / "aliases.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=where) as err:
        aliases(tmp_path)
    assert "aliases.yaml" in str(err.value)


# -- the resolver hook -----------------------------------------------------------------
def _shop(ws, rows):
    from tools.context import ToolContext

    ws.cursor().executemany(
        "INSERT INTO products (product_id, title, brand, category) VALUES (?, ?, ?, ?)", rows
    )
    return ToolContext(ws.cursor, models_dir=ws.settings.models_dir)


EN_ROWS = [
    ("P1", "Aurora Pulse Headphones", "Aurora", "Headphones"),
    ("P2", "Stridex Tempo 3", "Stridex", "Running Shoes"),
    ("P3", "Kessler Kettle", "Kessler", "Kitchen"),
]
ZH_ROWS = [
    ("P1", "Aurora Pulse 主动降噪耳机", "Aurora", "耳机"),
    ("P2", "Stridex Tempo 3 公路跑鞋", "Stridex", "跑鞋"),
    ("P3", "Kessler Classic 电热水壶", "Kessler", "厨房用品"),
]


def test_chinese_category_names_resolve_on_an_english_shop(empty_ws):
    from tools import resolve

    ctx = _shop(empty_ws, EN_ROWS)
    assert resolve.category(ctx, "耳机") == "Headphones"
    assert resolve.category(ctx, "跑步鞋") == "Running Shoes"
    assert resolve.localise_categories(ctx, "耳机的电池") == "Headphones 的电池"
    # The shop's own names stay as they are.
    assert resolve.localise_categories(ctx, "Kitchen kettles") == "Kitchen kettles"


def test_english_category_names_resolve_on_a_chinese_shop(empty_ws):
    from tools import resolve

    ctx = _shop(empty_ws, ZH_ROWS)
    assert resolve.category(ctx, "Headphones") == "耳机"
    assert resolve.category(ctx, "kitchen") == "厨房用品"
    # The longest name wins: 厨房用品 is the shop's own name, not 厨房 plus 用品.
    assert resolve.localise_categories(ctx, "厨房用品的差评") == "厨房用品的差评"
    assert resolve.localise_categories(ctx, "厨房的差评") == "厨房用品 的差评"


def test_the_shop_file_adds_names_the_resolver_uses(empty_ws):
    from tools import resolve

    ctx = _shop(empty_ws, EN_ROWS)
    data_dir = ctx.models_dir.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "aliases.yaml").write_text(
        "categories:\n  Headphones: [头戴设备]\n", encoding="utf-8"
    )
    assert resolve.category(ctx, "头戴设备") == "Headphones"


def test_chinese_aspect_words_are_found_inside_chinese_text(empty_ws):
    from tools import resolve

    ctx = _shop(empty_ws, EN_ROWS)
    found, _ = resolve.find_aspects(ctx, "耳机的电池有什么问题，物流也慢")
    assert found[:2] == ["battery", "delivery"] or set(found) >= {"battery", "delivery"}
    assert resolve.aspect_terms(ctx, "耳机的续航和做工") == ["续航", "做工"]
    assert resolve.aspect(ctx, "做工") == "quality"


# -- product kinds -----------------------------------------------------------------------
def test_kinds_are_a_section_of_the_table():
    assert group("kinds", "水壶")[0] == "kettle"
    assert "料理机" in group("kinds", "Blender")


def test_a_kind_name_in_two_entries_is_refused_with_both_named(tmp_path):
    (tmp_path / "aliases.yaml").write_text(
        "kinds:\n  jug: [壶]\n  pot: [锅, 壶]\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"kinds\.pot and kinds\.jug both hold '壶'"):
        aliases(tmp_path)


def test_a_workspace_kind_takes_its_names_from_the_shipped_entries(tmp_path):
    (tmp_path / "aliases.yaml").write_text(
        "kinds:\n  electric kettle: [电热水壶]\n  kettle: [烧水壶]\n", encoding="utf-8"
    )
    assert group("kinds", "电热水壶", tmp_path) == ["electric kettle", "电热水壶"]
    assert group("kinds", "水壶", tmp_path) == []  # the shop's kettle entry replaced it
    assert "料理机" in group("kinds", "blender", tmp_path)
