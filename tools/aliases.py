"""Other-language names of categories, aspects and product kinds (tools/aliases.yaml,
overridable per workspace by <data_dir>/aliases.yaml).

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
# The sections of the table ("kinds" are product nouns a title ends with: kettle, 水壶).
# The name KINDS is kept for the modules that walk every section.
SECTIONS = KINDS = ("categories", "aspects", "kinds")
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
    _one_kind_per_name(path, table["kinds"])
    return table


def _one_kind_per_name(path: Path, kinds: dict[str, list[str]]) -> None:
    """A product-kind name in two entries would resolve to whichever the matcher met
    first; say which entries share it instead."""
    seen: dict[str, str] = {}
    for canonical, others in kinds.items():
        for name in {n.casefold() for n in [canonical, *others]}:
            if name in seen and seen[name] != canonical:
                raise DataError(
                    f"{path}: kinds.{canonical} and kinds.{seen[name]} both hold {name!r}; "
                    "a product-kind name belongs to one entry"
                )
            seen[name] = canonical


@functools.lru_cache(maxsize=32)
def _table(workspace_file: str | None, mtime: float) -> dict[str, dict[str, list[str]]]:
    table = _read(DEFAULTS)
    if workspace_file:
        for kind, entries in _read(Path(workspace_file)).items():
            if kind == "kinds":
                # A shop's own kind takes its names from the shipped entries that held
                # them (its "electric kettle: [电热水壶]" beside the shipped kettle).
                taken = {n.casefold() for c, o in entries.items() for n in [c, *o]}
                table[kind] = {
                    c: [n for n in o if n.casefold() not in taken]
                    for c, o in table[kind].items()
                    if c.casefold() not in taken
                }
            table[kind].update(entries)
    return table


def aliases(data_dir: str | Path | None = None) -> dict[str, dict[str, list[str]]]:
    """The merged table: {'categories': {canonical: [names]}, 'aspects': {...},
    'kinds': {...}}."""
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
