"""A BERT sentence encoder (all-MiniLM-L6-v2) in numpy, for processes without torch.

Importing sentence-transformers pulls torch, transformers and scikit-learn: seconds
before the first vector, which is most of a cold ``insight ask``. This runs the same
network from the same files: the fast tokenizer (``tokenizers``, a small Rust
extension) and the ``model.safetensors`` weights mapped read-only from disk, so a
process reads only the pages it touches (a query reads a few rows of the 47 MB
word-embedding table). Vectors match sentence-transformers' to float32 rounding
(tests/test_minilm_numpy.py); the Embedder uses it for a few texts at a time and
leaves bulk encoding to torch when it is loaded (see vectorstore/embeddings.py).

Only the architecture the packaged model has is accepted: a BERT encoder with
absolute positions and GELU, mean pooling. Another directory gets ``None`` from
:func:`supports` and keeps torch.
"""

from __future__ import annotations

import json
import mmap
import threading
from pathlib import Path

import numpy as np

from assistant.errors import BackendError

_WEIGHTS = "model.safetensors"
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
# Added to the attention score of a padding position: exp() of it is exactly 0.
_MASKED = np.float32(-1e9)
# Abramowitz & Stegun 7.1.26: erf to 1.5e-7, far below float32 rounding of the
# activations; numpy has no erf and scipy costs a few hundred ms to import.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _read_json(path: Path) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot read {path}: {exc}") from exc


def supports(directory: Path) -> bool:
    """True when ``directory`` holds a sentence-transformers model this module runs:
    BERT with absolute positions and GELU, mean pooling, safetensors weights, a fast
    tokenizer file. Anything else (or unreadable) is False: torch runs it instead."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((directory / "modules.json").read_text(encoding="utf-8"))
        pooling_dir = next(
            (m.get("path") for m in modules if str(m.get("type", "")).endswith(".Pooling")), None
        )
        pooling = json.loads(
            (directory / (pooling_dir or "1_Pooling") / "config.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError, AttributeError, TypeError):
        return False
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    pooled_by_mean = pooling.get("pooling_mode_mean_tokens") and not any(
        pooling.get(k)
        for k in (
            "pooling_mode_cls_token",
            "pooling_mode_max_tokens",
            "pooling_mode_mean_sqrt_len_tokens",
            "pooling_mode_weightedmean_tokens",
            "pooling_mode_lasttoken",
        )
    )
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
        and bool(pooled_by_mean)
        and (directory / _WEIGHTS).is_file()
        and (directory / "tokenizer.json").is_file()
    )


def _map_safetensors(path: Path) -> tuple[mmap.mmap, dict[str, np.ndarray]]:
    """Every tensor of a safetensors file as a read-only array over one mapping."""
    try:
        with path.open("rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot read the model weights {path}: {exc}") from exc
    try:
        size = int.from_bytes(mapped[:8], "little")
        header = json.loads(mapped[8 : 8 + size])
        start = 8 + size
        tensors = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype = np.dtype(_DTYPES[info["dtype"]])
            begin, end = info["data_offsets"]
            shape = tuple(info["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            if end - begin != count * dtype.itemsize or start + end > len(mapped):
                raise ValueError(f"tensor {name} does not fit its declared shape {shape}")
            tensors[name] = np.frombuffer(
                mapped, dtype=dtype, count=count, offset=start + begin
            ).reshape(shape)
    except (KeyError, TypeError, ValueError) as exc:
        tensors = {}  # arrays over the mapping must go before it can be closed
        mapped.close()
        raise BackendError(
            f"the model weights {path} are not a readable safetensors file: {exc}"
        ) from exc
    return mapped, tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    x = x - mean
    var = np.mean(x * x, axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + eps)
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + erf(x / sqrt 2)): BERT's exact GELU, not the tanh approximation."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2))
    t = 1.0 / (1.0 + np.float32(_ERF_P) * z)
    a1, a2, a3, a4, a5 = (np.float32(a) for a in _ERF_A)
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    erf = 1.0 - poly * np.exp(-z * z)
    erf = np.copysign(erf, x)
    return np.float32(0.5) * x * (1.0 + erf)


class _Layer:
    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return w[f"{prefix}.{name}"]

        # One (384, 3*384) projection for query, key and value: one matrix product
        # instead of three. Transposed views of (out, in) weights need no copy.
        self.qkv_w = np.concatenate(
            [get(f"attention.self.{n}.weight") for n in ("query", "key", "value")]
        ).T
        self.qkv_b = np.concatenate(
            [get(f"attention.self.{n}.bias") for n in ("query", "key", "value")]
        )
        self.attn_out_w = get("attention.output.dense.weight").T
        self.attn_out_b = get("attention.output.dense.bias")
        self.attn_ln = (
            get("attention.output.LayerNorm.weight"),
            get("attention.output.LayerNorm.bias"),
        )
        self.inter_w = get("intermediate.dense.weight").T
        self.inter_b = get("intermediate.dense.bias")
        self.out_w = get("output.dense.weight").T
        self.out_b = get("output.dense.bias")
        self.out_ln = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


class MiniLMNumpy:
    """The encoder behind the packaged all-MiniLM-L6-v2, speaking the part of the
    SentenceTransformer interface the Embedder uses (``encode``, the dimension,
    ``max_seq_length``)."""

    def __init__(self, directory: Path | str) -> None:
        directory = Path(directory)
        if not supports(directory):
            raise BackendError(
                f"{directory} is not a BERT mean-pooling sentence model with safetensors "
                "weights and a tokenizer.json"
            )
        from tokenizers import Tokenizer

        config = _read_json(directory / "config.json")
        st_config = directory / "sentence_bert_config.json"
        st = _read_json(st_config) if st_config.exists() else {}
        self.max_seq_length = int(
            st.get("max_seq_length") or config.get("max_position_embeddings", 512)
        )
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.lowercase = bool(st.get("do_lower_case", False))

        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # The file pads every text to 128 tokens and truncates there; sentence-
        # transformers pads to the batch's longest and truncates at max_seq_length.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer = tokenizer

        self._mapped, w = _map_safetensors(directory / _WEIGHTS)
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
        try:
            self.word = w[f"{prefix}embeddings.word_embeddings.weight"]
            self.position = w[f"{prefix}embeddings.position_embeddings.weight"]
            self.token_type = w[f"{prefix}embeddings.token_type_embeddings.weight"]
            self.emb_ln = (
                w[f"{prefix}embeddings.LayerNorm.weight"],
                w[f"{prefix}embeddings.LayerNorm.bias"],
            )
            self.layers = [
                _Layer(w, f"{prefix}encoder.layer.{i}")
                for i in range(int(config["num_hidden_layers"]))
            ]
        except KeyError as exc:
            raise BackendError(f"the model weights in {directory} lack the tensor {exc}") from exc
        if self.word.dtype != np.float32:
            raise BackendError(f"the model weights in {directory} are not float32")
        # Matrix products of one forward pass share nothing, but callers on several
        # threads (the web app) would fight over BLAS threads: one call at a time.
        self._lock = threading.Lock()

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def tokenize(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask, padded to the longest text."""
        if self.lowercase:
            texts = [t.lower() for t in texts]
        encodings = self.tokenizer.encode_batch(texts)
        longest = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), longest), dtype=np.int64)
        mask = np.zeros((len(texts), longest), dtype=np.float32)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1.0
        return ids, mask

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled last hidden states, (batch, dim), not normalised."""
        batch, length = ids.shape
        heads, size = self.heads, self.dim // self.heads
        x = self.word[ids] + self.position[:length] + self.token_type[0]
        x = _layer_norm(x.reshape(batch * length, self.dim), *self.emb_ln, self.eps)
        bias = ((1.0 - mask) * _MASKED)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, self.dim)
            h = context @ layer.attn_out_w + layer.attn_out_b
            h += x
            x = _layer_norm(h, *layer.attn_ln, self.eps)
            h = _gelu(x @ layer.inter_w + layer.inter_b) @ layer.out_w + layer.out_b
            h += x
            x = _layer_norm(h, *layer.out_ln, self.eps)
        x = x.reshape(batch, length, self.dim)
        summed = np.einsum("btd,bt->bd", x, mask)
        return summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)

    def encode(
        self,
        texts: list[str],
        batch_size: int = 64,
        *,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = max(1, batch_size)
        with self._lock:
            for start in range(0, len(texts), step):
                chunk = texts[start : start + step]
                out[start : start + len(chunk)] = self.forward(*self.tokenize(chunk))
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        return out
