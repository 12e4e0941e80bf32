"""The review index: one Chroma collection of review vectors with filterable metadata.

Embedded (``PersistentClient`` in the workspace) by default; a Chroma server
(``chroma run`` or a hosted one) through ``HttpClient`` when a host is configured.
Chroma's own embedding function is never used (it would download a model): the
collection has none and every add and query passes our vectors.

An embedded index connects on first use, not when opened: a search whose vectors
and keyword corpus are already on disk (tools/bm25_store.py) reads the index state
from Chroma's SQLite file and never imports chromadb (~0.4 s of a cold process).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
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
    def __init__(
        self,
        client,
        embedder: Embedder,
        *,
        location: str,
        connect: Callable[[], object] | None = None,
        local_dir: Path | None = None,
    ) -> None:
        """``client``: a Chroma client, or None with ``connect`` making one on first
        use. ``local_dir``: the embedded index's directory (None for a server)."""
        if client is None and connect is None:
            raise ValueError("ReviewIndex needs a client or a way to connect")
        self.embedder = embedder
        self.location = location
        self.local_dir = Path(local_dir) if local_dir is not None else None
        self._connect = connect
        self._connect_lock = threading.Lock()
        self._client = None
        if client is not None:
            self._attach(client)

    def _attach(self, client) -> None:
        self._max_batch = int(client.get_max_batch_size())
        self._collection = self._open_collection(client)
        self._client = client

    @property
    def client(self):
        if self._client is None:
            with self._connect_lock:
                if self._client is None:
                    self._attach(self._connect())
        return self._client

    @property
    def max_batch(self) -> int:
        self.client  # noqa: B018  (connects first)
        return self._max_batch

    def connect(self) -> ReviewIndex:
        """Open Chroma now (a server warming up), not on the first query."""
        self.client  # noqa: B018
        return self

    # -- collection lifecycle ---------------------------------------------
    def _open_collection(self, client=None):
        return (client or self.client).get_or_create_collection(
            COLLECTION,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embedder.name, "dim": self.embedder.dim},
        )

    @property
    def collection(self):
        self.client  # noqa: B018  (connects first)
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
        self.collection.modify(metadata=meta)
        return meta["generation"]

    def state_token(self) -> str:
        """Changes whenever a sync changed the index (one small call).

        A rebuilt collection has a new id, so its generation count starting over
        cannot be mistaken for the old one's.
        """
        durable = self.durable_state()
        if durable is not None:
            return durable
        col = self.client.get_collection(COLLECTION)
        return f"{col.id}:{int((col.metadata or {}).get('generation', 0))}"

    def durable_state(self) -> str | None:
        """The embedded index's state, read from Chroma's SQLite file without Chroma:
        collection id, generation and the sequence number of Chroma's last write.

        The sequence number moves with every add, update and delete, so a sync killed
        before it bumped the generation still changes the state, and a corpus saved on
        disk for the old state is not taken for the new one. None for a server, a
        missing collection or a file this code cannot read (then nothing is saved).
        """
        if self.local_dir is None:
            return None
        db = self.local_dir / "chroma.sqlite3"
        if not db.is_file():
            return None
        try:
            con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            try:
                return _sqlite_state(con)
            finally:
                con.close()
        except sqlite3.Error:
            return None

    # -- reading -------------------------------------------------------------
    def count(self) -> int:
        return int(self.collection.count())

    def iter_records(self, include: tuple[str, ...] = ("metadatas",)) -> Iterator[tuple]:
        """(id, metadata[, document]) for every indexed review, page by page."""
        offset = 0
        while True:
            page = self.collection.get(include=list(include), limit=_PAGE, offset=offset)
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
            page = self.collection.get(include=["embeddings"], limit=_PAGE, offset=offset)
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
        res = self.collection.query(
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
            self.collection.upsert(
                ids=ids[s], embeddings=vectors[s], documents=documents[s], metadatas=metadatas[s]
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        """Metadata-only change: the vectors stay as they are."""
        for s in self._batches(len(ids)):
            self.collection.update(ids=ids[s], metadatas=metadatas[s])

    def delete(self, ids: list[str]) -> None:
        for s in self._batches(len(ids)):
            self.collection.delete(ids=ids[s])


def _sqlite_state(con: sqlite3.Connection) -> str | None:
    row = con.execute("SELECT id FROM collections WHERE name = ?", (COLLECTION,)).fetchone()
    if row is None:
        return None
    cid = row[0]
    gen = con.execute(
        "SELECT int_value FROM collection_metadata WHERE collection_id = ? AND key = 'generation'",
        (cid,),
    ).fetchone()
    # Writes not yet applied wait in the queue; applied ones are recorded per segment
    # (and may have been purged from the queue).
    queued = con.execute(
        "SELECT max(seq_id) FROM embeddings_queue WHERE topic LIKE ?", (f"%/{cid}",)
    ).fetchone()[0]
    applied = con.execute(
        "SELECT max(m.seq_id) FROM max_seq_id m JOIN segments s ON s.id = m.segment_id "
        "WHERE s.collection = ?",
        (cid,),
    ).fetchone()[0]
    seqs = [int(v) for v in (queued, applied) if isinstance(v, int)]
    return f"{cid}:{int(gen[0] or 0) if gen else 0}:{max(seqs, default=0)}"


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
    if host:
        import chromadb

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
    except OSError as exc:
        raise _cannot_open(path, exc) from exc

    def connect():
        import chromadb

        try:
            if fresh:
                from chromadb.api.shared_system_client import SharedSystemClient

                SharedSystemClient._identifier_to_system.pop(str(path), None)
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        except Exception as exc:  # noqa: BLE001
            raise _cannot_open(path, exc) from exc

    return ReviewIndex(None, embedder, location=str(path), connect=connect, local_dir=path)


def _cannot_open(path: Path, exc: Exception) -> BackendError:
    return BackendError(
        f"cannot open the review index at {path}: {exc}",
        hint="run `insight index --rebuild` to recreate it",
    )
