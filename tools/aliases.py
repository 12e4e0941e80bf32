"""Other-language names of categories and aspects (tools/aliases.yaml, overridable per
workspace by <data_dir>/aliases.yaml).

The table is one thing under all its names; which name a shop stores is the shop's
business, so lookups go from any name to the whole group and the caller keeps the
member its own data holds.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from assistant.errors import DataError

DEFAULTS = Path(__file__).with_name("aliases.yaml")
KINDS = ("categories", "aspects")
WORKSPACE_FILE = "aliases.yaml"


def _read(path: Path) -> dict[str, dict[str, list[str]]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping with {' and '.join(KINDS)}")
    table: dict[str, dict[str, list[str]]] = {}
    for kind in KINDS:
        entries = raw.get(kind) or {}
        if not isinstance(entries, dict):
            raise DataError(f"{path}: '{kind}' must map a name to a list of names")
        table[kind] = {}
        for name, others in entries.items():
            if isinstance(others, str):
                others = [others]
            if not isinstance(others, list) or not all(isinstance(o, str) for o in others):
                raise DataError(f"{path}: {kind}.{name} must be a list of names")
            table[kind][str(name)] = [o.strip() for o in others if o.strip()]
    unknown = set(raw) - set(KINDS)
    if unknown:
        raise DataError(f"{path}: unknown section(s) {sorted(unknown)}; expected {list(KINDS)}")
    return table


@functools.lru_cache(maxsize=32)
def _table(workspace_file: str | None, mtime: float) -> dict[str, dict[str, list[str]]]:
    table = _read(DEFAULTS)
    if workspace_file:
        for kind, entries in _read(Path(workspace_file)).items():
            table[kind].update(entries)
    return table


def aliases(data_dir: str | Path | None = None) -> dict[str, dict[str, list[str]]]:
    """The merged table: {'categories': {canonical: [names]}, 'aspects': {...}}."""
    path = Path(data_dir) / WORKSPACE_FILE if data_dir else None
    if path is not None and path.is_file():
        return _table(str(path), path.stat().st_mtime)
    return _table(None, 0.0)


def group(kind: str, name: str, data_dir: str | Path | None = None) -> list[str]:
    """Every name of the ``kind`` entry ``name`` belongs to, canonical first
    (case-insensitive, surrounding space ignored); [] when it is in no entry."""
    key = name.strip().casefold()
    for canonical, others in aliases(data_dir)[kind].items():
        names = [canonical, *others]
        if key in (n.casefold() for n in names):
            return names
    return []


def aspect_label(aspect_id: str, lang: str, data_dir: str | Path | None = None) -> str:
    """The name an answer in ``lang`` shows for an aspect: its first Chinese name for
    'zh' when the table has one, else the id with spaces ("size_fit" -> "size fit")."""
    if lang == "zh":
        names = aliases(data_dir)["aspects"].get(aspect_id)
        if names:
            return names[0]
    return aspect_id.replace("_", " ")
