"""Model files never run code: pickles planted where models live are never executed,
damaged files are clear errors (or a retrain), and a save round-trips exactly."""

from __future__ import annotations

import builtins
import json
import pickle  # noqa: S403 - builds the hostile payloads these tests plant
from pathlib import Path

import numpy as np
import pytest

from tests.sentiment_fakes import CountingEmbedder, insert_reviews, synthetic_reviews
from tools.model_files import ModelFileError, load_npz, save_npz_atomic
from tools.sentiment import (
    LEGACY_PICKLE,
    MODEL_FILE,
    label_reviews,
    load_model,
    save_model,
    train_model,
)


class _Payload:
    """Unpickling this creates ``path``: proof that the bytes were executed."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (builtins.open, (self.path, "w"))


def _payload(sentinel: Path) -> bytes:
    data = pickle.dumps(_Payload(sentinel))
    # The payload works: loading it does create the file (so the tests below can fail).
    pickle.loads(data).close()  # noqa: S301 - our own payload, proving it would run
    assert sentinel.exists()
    sentinel.unlink()
    return data


def _trained(tmp_path: Path):
    rows = synthetic_reviews({1: 40, 3: 40, 5: 80})
    texts, ratings = [r[2] for r in rows], [r[1] for r in rows]
    emb = CountingEmbedder().encode(texts)
    model = train_model(texts, emb, ratings, CountingEmbedder.name)
    return model, texts, emb


# -- sentiment -------------------------------------------------------------------------


def test_sentiment_round_trip_gives_identical_predictions(tmp_path):
    model, texts, emb = _trained(tmp_path)
    save_model(model, tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    loaded = load_model(tmp_path)
    assert loaded.classes == model.classes == ("negative", "neutral", "positive")
    assert (loaded.model_id, loaded.n_train, loaded.metrics) == (
        model.model_id,
        model.n_train,
        model.metrics,
    )
    before_labels, before_scores = model.predict(texts, emb)
    after_labels, after_scores = loaded.predict(texts, emb)
    assert after_labels == before_labels
    assert np.array_equal(after_scores, before_scores)
    assert np.array_equal(loaded.score(texts, emb), model.score(texts, emb))


def test_pickle_at_the_old_model_path_is_never_loaded(tmp_path, caplog):
    sentinel = tmp_path / "owned"
    (tmp_path / LEGACY_PICKLE).write_bytes(_payload(sentinel))
    with caplog.at_level("WARNING", logger="tools.sentiment"):
        assert load_model(tmp_path) is None
    assert not sentinel.exists()
    assert "insight index" in caplog.text and LEGACY_PICKLE in caplog.text


def test_index_moves_an_old_pickle_aside_and_says_so(empty_ws):
    models = empty_ws.settings.models_dir
    models.mkdir(parents=True, exist_ok=True)
    sentinel = models / "owned"
    (models / LEGACY_PICKLE).write_bytes(_payload(sentinel))
    insert_reviews(empty_ws.conn, synthetic_reviews({1: 40, 3: 40, 5: 80}))
    summary = label_reviews(empty_ws.conn, CountingEmbedder(), models)
    assert not sentinel.exists()
    assert not (models / LEGACY_PICKLE).exists()
    assert (models / (LEGACY_PICKLE + ".ignored")).exists()
    assert any("never loaded" in n for n in summary["notes"])
    assert summary["trained"] and (models / MODEL_FILE).exists()


@pytest.mark.parametrize("where", ["description", "arrays"])
def test_pickle_at_the_new_model_paths_is_never_executed(tmp_path, where):
    model, _, _ = _trained(tmp_path)
    save_model(model, tmp_path)
    sentinel = tmp_path / "owned"
    payload = _payload(sentinel)
    if where == "description":
        (tmp_path / MODEL_FILE).write_bytes(payload)
    else:
        arrays = json.loads((tmp_path / MODEL_FILE).read_text())["arrays"]
        (tmp_path / arrays).write_bytes(payload)
    with pytest.raises(ModelFileError) as err:
        load_model(tmp_path)
    assert not sentinel.exists()
    assert "insight index" in str(err.value)


def test_pickled_arrays_with_a_matching_digest_are_still_refused(tmp_path):
    """Someone who can write files can also fix up the digest: numpy must still refuse."""
    import hashlib

    model, _, _ = _trained(tmp_path)
    save_model(model, tmp_path)
    sentinel = tmp_path / "owned"
    _payload(sentinel)
    meta = json.loads((tmp_path / MODEL_FILE).read_text())
    hostile = tmp_path / meta["arrays"]
    # An .npz whose 'coef' is an object array: numpy stores it pickled.
    np.savez(hostile, coef=np.array([_Payload(sentinel)], dtype=object), intercept=np.zeros(3))
    meta["arrays_sha256"] = hashlib.sha256(hostile.read_bytes()).hexdigest()
    (tmp_path / MODEL_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(tmp_path)
    assert not sentinel.exists()


def test_description_cannot_point_outside_the_models_folder(tmp_path):
    model, _, _ = _trained(tmp_path)
    save_model(model, tmp_path)
    meta = json.loads((tmp_path / MODEL_FILE).read_text())
    meta["arrays"] = "../elsewhere.npz"
    (tmp_path / MODEL_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="not allowed"):
        load_model(tmp_path)


def test_truncated_model_is_a_clear_error_and_index_retrains(empty_ws):
    models = empty_ws.settings.models_dir
    insert_reviews(empty_ws.conn, synthetic_reviews({1: 40, 3: 40, 5: 80}))
    embedder = CountingEmbedder()
    assert label_reviews(empty_ws.conn, embedder, models)["trained"]
    arrays = models / json.loads((models / MODEL_FILE).read_text())["arrays"]
    arrays.write_bytes(arrays.read_bytes()[:100])
    with pytest.raises(ModelFileError, match="damaged") as err:
        load_model(models)
    assert err.value.hint and "insight index" in err.value.hint
    summary = label_reviews(empty_ws.conn, embedder, models)
    assert summary["trained"] and any("unusable" in n for n in summary["notes"])
    assert load_model(models) is not None


def test_a_crash_while_saving_leaves_the_old_model(tmp_path, monkeypatch):
    import tools.sentiment as sentiment

    model, texts, emb = _trained(tmp_path)
    save_model(model, tmp_path)
    old_id = load_model(tmp_path).model_id

    def crash(*_a, **_k):
        raise OSError("disk full")

    newer = train_model(texts[:150], emb[:150], [1] * 40 + [3] * 40 + [5] * 70, "other")
    monkeypatch.setattr(sentiment, "save_json_atomic", crash)
    with pytest.raises(OSError):
        save_model(newer, tmp_path)
    assert load_model(tmp_path).model_id == old_id


def test_damaged_json_is_a_clear_error(tmp_path):
    (tmp_path / MODEL_FILE).write_text('{"format": "insight-sentiment-logreg", "vers')
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(tmp_path)


# -- numpy helpers and the recommender ---------------------------------------------------


def test_load_npz_refuses_pickles_and_single_arrays(tmp_path):
    sentinel = tmp_path / "owned"
    target = tmp_path / "x.npz"
    target.write_bytes(_payload(sentinel))
    with pytest.raises(ModelFileError):
        load_npz(target)
    np.save(tmp_path / "y.npy", np.arange(3))
    with pytest.raises(ModelFileError, match="not an .npz"):
        load_npz(tmp_path / "y.npy")
    assert not sentinel.exists()
    with pytest.raises(TypeError):
        save_npz_atomic(tmp_path / "z.npz", {"a": np.array([object()], dtype=object)})


@pytest.fixture
def rec_dir(empty_ws, tmp_path):
    from tests.test_recommend import _purchases_only_shop
    from tools.recommend import train_models

    _purchases_only_shop(empty_ws.conn)
    train_models(empty_ws.conn, None, tmp_path / "models")
    return tmp_path / "models" / "recommender"


def test_recommender_round_trip_gives_identical_scores(rec_dir, tmp_path):
    from tools.recsys.models import RecModel

    model = RecModel.load(rec_dir)
    copy = tmp_path / "copy"
    model.save(copy)
    again = RecModel.load(copy)
    rows = np.arange(len(model.user_ids))
    a, b = model.component_scores(rows), again.component_scores(rows)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert not [p for p in copy.iterdir() if p.suffix not in (".npz", ".json")]


@pytest.mark.parametrize("part", ["arrays", "similarity"])
def test_pickle_planted_in_the_recommender_is_never_executed(rec_dir, part):
    from tools.recsys.models import RecModel

    sentinel = rec_dir / "owned"
    name = json.loads((rec_dir / "meta.json").read_text())["files"][part]["file"]
    (rec_dir / name).write_bytes(_payload(sentinel))
    with pytest.raises(ModelFileError):
        RecModel.load(rec_dir)
    assert not sentinel.exists()


def test_recommender_params_are_checked(rec_dir):
    from tools.recsys.models import RecModel

    meta = json.loads((rec_dir / "meta.json").read_text())
    meta["params"]["__class__"] = "os.system"
    (rec_dir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="params"):
        RecModel.load(rec_dir)


def test_a_crash_while_saving_the_recommender_leaves_the_old_one(rec_dir, monkeypatch):
    import tools.recsys.models as models

    before = models.RecModel.load(rec_dir)
    monkeypatch.setattr(models, "save_json_atomic", lambda *_a, **_k: 1 / 0)
    changed = models.RecModel.load(rec_dir)
    changed.popularity = changed.popularity + 1.0
    with pytest.raises(ZeroDivisionError):
        changed.save(rec_dir)
    after = models.RecModel.load(rec_dir)
    assert np.array_equal(after.popularity, before.popularity)


def test_damaged_content_cache_is_rebuilt_not_loaded(tmp_path):
    import pandas as pd

    from tools.recsys.content import CACHE_FILE, embed_products

    sentinel = tmp_path / "owned"
    (tmp_path / CACHE_FILE).write_bytes(_payload(sentinel))
    products = pd.DataFrame(
        {"title": ["Kettle"], "brand": [""], "category": ["Kitchen"], "description": [""]}
    )
    emb, fresh = embed_products(products, CountingEmbedder(), tmp_path)
    assert fresh == 1 and emb.shape == (1, 64)
    assert not sentinel.exists()
    assert load_npz(tmp_path / CACHE_FILE)["emb"].shape == (1, 64)


def test_index_sets_a_damaged_model_aside_when_it_cannot_retrain(empty_ws):
    models = empty_ws.settings.models_dir
    models.mkdir(parents=True, exist_ok=True)
    (models / MODEL_FILE).write_text("{not json")
    insert_reviews(empty_ws.conn, synthetic_reviews({5: 20}))
    summary = label_reviews(empty_ws.conn, CountingEmbedder(), models)
    assert (summary["model"], summary["trained"]) == ("vader", False)
    assert any("moved to sentiment.json.damaged" in n for n in summary["notes"])
    # Queries now agree with the stored labels: VADER, no error.
    assert load_model(models) is None


def test_a_version_1_recommender_still_loads_without_pickle(rec_dir):
    """Version 1 wrote fixed file names and no digests: still numpy files, still read."""
    from tools.recsys.models import RecModel

    before = RecModel.load(rec_dir)
    meta = json.loads((rec_dir / "meta.json").read_text())
    for part, entry in meta.pop("files").items():
        (rec_dir / entry["file"]).rename(rec_dir / f"{part}.npz")
    meta["format"] = 1
    (rec_dir / "meta.json").write_text(json.dumps(meta))
    old = RecModel.load(rec_dir)
    rows = np.arange(len(before.user_ids))
    assert np.array_equal(old.component_scores(rows)["als"], before.component_scores(rows)["als"])
    # The next save moves it to the current layout and leaves no version 1 files behind.
    old.save(rec_dir)
    assert not (rec_dir / "arrays.npz").exists()
    assert RecModel.load(rec_dir).meta["format"] == 2
