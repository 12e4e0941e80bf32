"""The conversation store rebuilds only message and plain data types: a row crafted
into threads.sqlite cannot construct an object of an arbitrary class."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from assistant.memory import ThreadStore

CONSTRUCTED: list[str] = []


@dataclass
class Gadget:
    """Stands in for any importable class whose construction has side effects."""

    name: str = "x"

    def __post_init__(self) -> None:
        CONSTRUCTED.append(self.name)


def test_thread_store_refuses_to_rebuild_arbitrary_classes(tmp_path):
    permissive = JsonPlusSerializer(allowed_msgpack_modules=True)
    crafted = permissive.dumps_typed({"payload": Gadget("planted")})
    CONSTRUCTED.clear()  # constructing it to write it does not count
    # The crafted bytes do construct the class with a permissive reader...
    assert isinstance(permissive.loads_typed(crafted)["payload"], Gadget)
    assert CONSTRUCTED == ["planted"]
    CONSTRUCTED.clear()

    store = ThreadStore(tmp_path / "threads.sqlite")
    try:
        loaded = store.saver.serde.loads_typed(crafted)
    finally:
        store.close()
    assert not isinstance(loaded["payload"], Gadget)
    assert CONSTRUCTED == []


def test_thread_store_still_round_trips_messages(tmp_path):
    store = ThreadStore(tmp_path / "threads.sqlite")
    try:
        serde = store.saver.serde
        messages = [HumanMessage("since 2026-03-01?"), AIMessage("Read as: ...")]
        assert serde.loads_typed(serde.dumps_typed(messages)) == messages
    finally:
        store.close()
