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
