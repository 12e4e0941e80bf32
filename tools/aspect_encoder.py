"""Aspect polarity from a tuned copy of the sentence encoder: how a sentence feels
about one term in it, read as the pair "sentence [SEP] term".

A head over frozen encoder features (tools.absa) learns which directions of a fixed
vector mean "good" or "bad"; it cannot learn that "the battery died" is about the
battery and "the screen, unlike the battery, is fine" is not. Tuning the encoder's six
layers on the pair lets attention follow the term through the sentence.

Shipped as ``tools/heads/aspect-encoder.{json,npz}``: the tuned transformer layers
(float16) and a linear layer over [CLS, the term's tokens, all tokens]. The word and
position embeddings stay the packaged MiniLM's (frozen while tuning), so they are not
shipped again. The arrays are read with ``allow_pickle=False`` and checked against the
digest in the JSON; a file built for another base model is refused.

Cost: one encoder pass per (sentence, term), batched; linear in the sentence's length.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from assistant.errors import BackendError, InsightError
from tools.aspects import clip_text
from tools.model_files import ModelFileError, load_described_npz, load_json

HEADS_DIR = Path(__file__).resolve().parent / "heads"
NAME = "aspect-encoder"
FORMAT, VERSION = "insight-aspect-encoder", 1
LABELS = ("negative", "neutral", "positive")
BASE = "all-MiniLM-L6-v2"
# SemEval sentences are under 100 tokens; review sentences longer than this are cut
# (the term's own tokens are kept: see pair_batch).
MAX_TOKENS = 128
BATCH = 32
_REBUILD_HINT = "run `python -m tools.train_aspect_encoder` to rebuild it"


def pair_batch(tokenizer, items: list[tuple[str, int, int]], max_tokens: int = MAX_TOKENS):
    """Tokenised "sentence [SEP] term" pairs and, per pair, which of the sentence's
    tokens are the term's (all of them when truncation cut the term off)."""
    import torch

    texts = [clip_text(t) for t, _, _ in items]
    terms = [t[s:e] for t, s, e in items]
    enc = tokenizer(
        texts,
        terms,
        return_offsets_mapping=True,
        padding=True,
        truncation="only_first",
        max_length=max_tokens,
        return_tensors="pt",
    )
    offsets = enc.pop("offset_mapping")
    mask = enc["attention_mask"].bool()
    term_mask = torch.zeros_like(mask)
    for j, (_, start, end) in enumerate(items):
        first = torch.tensor([s == 0 for s in enc.sequence_ids(j)], dtype=torch.bool)
        span = first & (offsets[j, :, 0] < end) & (offsets[j, :, 1] > start)
        span &= offsets[j, :, 1] > offsets[j, :, 0]
        term_mask[j] = span if bool(span.any()) else mask[j]
    return enc, term_mask


def pool_states(hidden, mask, term_mask):
    """[CLS state, mean of the term's tokens, mean of all tokens]: the linear layer's input."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    t = term_mask.unsqueeze(-1).to(hidden.dtype)
    term = (hidden * t).sum(1) / t.sum(1).clamp(min=1.0)
    whole = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.cat([hidden[:, 0], term, whole], dim=1)


def load_base():
    """The packaged MiniLM's tokenizer and transformer (no sentence-transformers wrapper)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from vectorstore.embeddings import packaged_model_path

    path = packaged_model_path()
    try:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weights-loading bar on every command is noise
        return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
    except Exception as exc:  # noqa: BLE001 - any load failure means the same thing here
        raise BackendError(f"cannot load the base model for the aspect encoder: {exc}") from exc


def tuned_arrays(transformer, linear) -> dict[str, np.ndarray]:
    """What is shipped: the encoder layers (float16) and the linear layer (float32)."""
    out = {
        f"encoder.{k}": v.detach().cpu().numpy().astype(np.float16)
        for k, v in transformer.encoder.state_dict().items()
    }
    out["linear.weight"] = linear.weight.detach().cpu().numpy().astype(np.float32)
    out["linear.bias"] = linear.bias.detach().cpu().numpy().astype(np.float32)
    return out


@dataclass
class AspectEncoder:
    """A tuned encoder and its linear layer; ``proba`` per (sentence, start, end)."""

    tokenizer: object
    transformer: object
    weight: np.ndarray
    bias: np.ndarray
    meta: dict = field(default_factory=dict)
    # One forward pass at a time: torch modules are not re-entrant across threads.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    classes = LABELS
    embedder = BASE

    def proba(self, items: list[tuple[str, int, int]]) -> np.ndarray:
        import torch

        for t, s, e in items:
            if not 0 <= s < e <= len(t):
                raise ValueError(f"term span {s}:{e} is outside its text ({len(t)} chars)")
        out = np.zeros((len(items), len(LABELS)), np.float32)
        # Similar lengths share a batch, so padding stays short.
        order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
        w = torch.from_numpy(self.weight)
        b = torch.from_numpy(self.bias)
        with self._lock, torch.inference_mode():
            for lo in range(0, len(order), BATCH):
                idx = order[lo : lo + BATCH]
                enc, term_mask = pair_batch(self.tokenizer, [items[i] for i in idx])
                hidden = self.transformer(**enc).last_hidden_state
                pooled = pool_states(hidden, enc["attention_mask"].bool(), term_mask)
                out[idx] = torch.softmax(pooled @ w.T + b, dim=1).numpy()
        return out


def read_aspect_encoder(json_path: Path) -> AspectEncoder:
    """The tuned encoder described by ``json_path``; any mismatch is a ModelFileError."""
    json_path = Path(json_path)
    meta = load_json(json_path)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ModelFileError(json_path, f"not a {FORMAT} version {VERSION}", hint=_REBUILD_HINT)
    if meta.get("base") != BASE or tuple(meta.get("classes") or ()) != LABELS:
        raise ModelFileError(json_path, f"built for another base model or classes than {BASE}")
    arrays_path, arrays = load_described_npz(json_path, meta, hint=_REBUILD_HINT)

    import torch

    tokenizer, transformer = load_base()
    expected = transformer.encoder.state_dict()
    tuned = {}
    for key, ref in expected.items():
        arr = arrays.get(f"encoder.{key}")
        if arr is None or tuple(arr.shape) != tuple(ref.shape) or arr.dtype.kind != "f":
            raise ModelFileError(arrays_path, f"encoder.{key}: missing or of the wrong shape")
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise ModelFileError(arrays_path, f"encoder.{key}: not finite")
        tuned[key] = torch.from_numpy(arr)
    transformer.encoder.load_state_dict(tuned)
    transformer.eval()
    dim = int(transformer.config.hidden_size)
    weight, bias = arrays.get("linear.weight"), arrays.get("linear.bias")
    if (
        weight is None
        or bias is None
        or weight.shape != (len(LABELS), 3 * dim)
        or bias.shape != (len(LABELS),)
        or not (np.isfinite(weight).all() and np.isfinite(bias).all())
    ):
        raise ModelFileError(arrays_path, f"linear layer: expected ({len(LABELS)}, {3 * dim})")
    return AspectEncoder(
        tokenizer, transformer, weight.astype(np.float32), bias.astype(np.float32), meta
    )


@cache
def _load(json_path: str) -> AspectEncoder | InsightError:
    # A file that failed to load is not read again on every call: its error is kept.
    try:
        return read_aspect_encoder(Path(json_path))
    except InsightError as exc:
        return exc


def _loaded(json_path: Path) -> AspectEncoder:
    got = _load(str(json_path))
    if isinstance(got, InsightError):
        raise got
    return got


@dataclass(frozen=True)
class ShippedAspectEncoder:
    """The shipped tuned encoder, loaded (and its digest checked) on the first
    ``proba``: torch and transformers cost seconds to import, and most questions never
    ask for a term's polarity."""

    json_path: Path
    classes = LABELS
    embedder = BASE

    @property
    def meta(self) -> dict:
        return _loaded(self.json_path).meta

    @property
    def digest(self) -> str:
        """The weights' recorded digest, read from the description alone."""
        return str(load_json(self.json_path).get("arrays_sha256", ""))

    def proba(self, items: list[tuple[str, int, int]]) -> np.ndarray:
        if not items:
            return np.zeros((0, len(LABELS)), np.float32)
        return _loaded(self.json_path).proba(items)


def shipped_aspect_encoder(
    embedder_name: str, heads_dir: Path | None = None
) -> ShippedAspectEncoder | None:
    """The shipped tuned encoder for a shop whose encoder is its base, else None: a shop
    on another encoder (multilingual e5, for Chinese) has text MiniLM cannot read."""
    path = Path(heads_dir or HEADS_DIR) / f"{NAME}.json"
    if embedder_name != BASE or not path.exists():
        return None
    return ShippedAspectEncoder(path)
