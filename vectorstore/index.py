"""The review index: one Chroma collection of review vectors with filterable metadata.

Embedded (``PersistentClient`` in the workspace) by default; a Chroma server
(``chroma run`` or a hosted one) through ``HttpClient`` when a host is configured.
Chroma's own embedding function is never used (it would download a model): the
collection has none and every add and query passes our vectors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import BackendError
from vectorstore.embeddings import Embedder

COLLECTION = "reviews"
# Metadata keys every indexed review carries (created_at is YYYYMMDD as an int:
# Chroma range filters compare numbers only).
METADATA_KEYS = (
    "product_id",
    "category",
    "customer_id",
    "rating",
    "created_at",
    "sentiment",
    "content_hash",
)
_PAGE = 5000


@dataclass
class Hit:
    review_id: str
    distance: float
    document: str
    metadata: dict


def _chroma_settings():
    from chromadb.config import Settings

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    return Settings(anonymized_telemetry=False, allow_reset=False)


class ReviewIndex:
    def __init__(self, client, embedder: Embedder, *, location: str) -> None:
        self.client = client
        self.embedder = embedder
        self.location = location
        self.max_batch = int(client.get_max_batch_size())
        self._collection = self._open_collection()

    # -- collection lifecycle ---------------------------------------------
    def _open_collection(self):
        return self.client.get_or_create_collection(
            COLLECTION,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embedder.name, "dim": self.embedder.dim},
        )

    @property
    def collection(self):
        return self._collection

    def info(self) -> dict:
        """Collection-level metadata (embedding model, generation), fresh from Chroma."""
        return dict(self.client.get_collection(COLLECTION).metadata or {})

    def model_matches(self) -> bool:
        meta = self.info()
        return meta.get("embedding_model") == self.embedder.name and int(
            meta.get("dim", self.embedder.dim)
        ) == int(self.embedder.dim)

    def reset(self) -> None:
        """Drop every vector and start an empty collection."""
        try:
            self.client.delete_collection(COLLECTION)
        except Exception:  # noqa: BLE001 - a missing collection is what we want anyway
            pass
        self._collection = self._open_collection()

    def generation(self) -> int:
        return int(self.info().get("generation", 0))

    def bump_generation(self) -> int:
        """Mark a change, so caches built over the index (BM25) know to rebuild."""
        meta = self.info()
        meta["generation"] = int(meta.get("generation", 0)) + 1
        self._collection.modify(metadata=meta)
        return meta["generation"]

    def state_token(self) -> str:
        """Changes whenever a sync changed the index (one small call).

        A rebuilt collection has a new id, so its generation count starting over
        cannot be mistaken for the old one's.
        """
        col = self.client.get_collection(COLLECTION)
        return f"{col.id}:{int((col.metadata or {}).get('generation', 0))}"

    # -- reading -------------------------------------------------------------
    def count(self) -> int:
        return int(self._collection.count())

    def iter_records(self, include: tuple[str, ...] = ("metadatas",)) -> Iterator[tuple]:
        """(id, metadata[, document]) for every indexed review, page by page."""
        offset = 0
        while True:
            page = self._collection.get(include=list(include), limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            metas = page.get("metadatas") or [None] * len(ids)
            docs = page.get("documents") if "documents" in include else None
            for i, rid in enumerate(ids):
                meta = dict(metas[i] or {})
                yield (rid, meta, docs[i]) if docs is not None else (rid, meta)
            offset += len(ids)

    def vectors(self, row_of: dict[str, int]) -> np.ndarray:
        """Every stored vector, row ``row_of[id]`` for each id (zeros for unknown rows)."""
        out = np.zeros((len(row_of), self.embedder.dim), dtype=np.float32)
        offset = 0
        while True:
            page = self._collection.get(include=["embeddings"], limit=_PAGE, offset=offset)
            if not page["ids"]:
                return out
            for rid, vec in zip(page["ids"], page["embeddings"], strict=True):
                row = row_of.get(rid)
                if row is not None:
                    out[row] = vec
            offset += len(page["ids"])

    def metadata_by_id(self) -> dict[str, dict]:
        return dict(self.iter_records())

    def query(
        self, vector: np.ndarray, k: int, where: dict | None = None, ids: list[str] | None = None
    ) -> list[Hit]:
        """Nearest reviews to ``vector`` (cosine distance), optionally filtered."""
        if k <= 0:
            return []
        # No count() first: it costs as much as the query; Chroma returns fewer when short.
        res = self._collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k,
            where=where or None,
            ids=ids,
            include=["distances", "metadatas", "documents"],
        )
        return [
            Hit(rid, float(dist), doc or "", dict(meta or {}))
            for rid, dist, doc, meta in zip(
                res["ids"][0],
                res["distances"][0],
                res["documents"][0],
                res["metadatas"][0],
                strict=True,
            )
        ]

    # -- writing -------------------------------------------------------------
    def _batches(self, n: int) -> Iterator[slice]:
        for start in range(0, n, self.max_batch):
            yield slice(start, min(n, start + self.max_batch))

    def upsert(
        self, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]
    ) -> None:
        for s in self._batches(len(ids)):
            self._collection.upsert(
                ids=ids[s], embeddings=vectors[s], documents=documents[s], metadatas=metadatas[s]
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        """Metadata-only change: the vectors stay as they are."""
        for s in self._batches(len(ids)):
            self._collection.update(ids=ids[s], metadatas=metadatas[s])

    def delete(self, ids: list[str]) -> None:
        for s in self._batches(len(ids)):
            self._collection.delete(ids=ids[s])


def open_review_index(
    path: str | Path,
    embedder: Embedder,
    host: str | None = None,
    port: int = 8000,
    *,
    fresh: bool = False,
) -> ReviewIndex:
    """The review index: embedded at ``path``, or on the Chroma server at host:port.

    ``fresh`` bypasses Chroma's per-process cache of embedded systems, whose vector
    segments do not see what another process wrote since they were loaded. Clients
    already open keep their system and keep working.
    """
    import chromadb

    if host:
        try:
            client = chromadb.HttpClient(host=host, port=int(port), settings=_chroma_settings())
            client.heartbeat()
        except Exception as exc:  # noqa: BLE001 - connection failures come in many types
            raise BackendError(
                f"cannot reach the Chroma server at {host}:{port}: {exc}",
                hint="start it (chroma run --path DIR --host HOST --port PORT) or unset "
                "INSIGHT_CHROMA_HOST to use the embedded index",
            ) from exc
        return ReviewIndex(client, embedder, location=f"http://{host}:{port}")
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(str(path), None)
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:  # noqa: BLE001
        raise BackendError(
            f"cannot open the review index at {path}: {exc}",
            hint="run `insight index --rebuild` to recreate it",
        ) from exc
    return ReviewIndex(client, embedder, location=str(path))
