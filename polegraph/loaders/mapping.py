"""The generic mapping loader: any CSV into POLE nodes and edges through a YAML mapping.

A force brings a new system by writing a mapping, not code (format in
``polegraph/loaders/mappings/README.md``). Each row yields its ``SourceRecord`` with every column,
known to the mapping or not, and the nodes and edges the mapping makes of it; a row whose values
fail (a required column empty, an unknown id) is quarantined and the load goes on.

Edge-only files (neo4j-admin relationship CSVs, link tables) name their endpoints by the ids of
rows in other files: a ``ref:`` entity looks each id up in an index built from the file the other
mapping reads, so the uid is exactly the one the node file made. The index lives in a temporary
SQLite file, which keeps memory flat however large the node file is.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import CsvFile, CsvRow
from polegraph.loaders.mapping_spec import (
    Condition,
    EntitySpec,
    Mapping,
    MappingError,
    RefSpec,
    ValueSpec,
    read_mapping,
)
from polegraph.loaders.mapping_values import NAME_PARTS, Value, clean_value, code, geo_problem, name_parts
from polegraph.loaders.records import (
    Bundle,
    Edge,
    LoadContext,
    Node,
    Quarantined,
    SourceRecord,
    source_uid,
    value_uid,
)
from polegraph.schema import load_ontology

DEFAULT_SYSTEM = "MAPPING"  # the registry's system: the mapping's own `system:` is used instead
SHIPPED = Path(__file__).parent / "mappings"
_BATCH = 5000


class _Reject(Exception):
    """A row cannot be loaded: which column and why (it becomes a Quarantined)."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class _End:
    label: str
    uid: str


class _Rows:
    """One mapping bound to one open table: turns its rows into bundles."""

    def __init__(self, mapping: Mapping, table: CsvFile, ctx: LoadContext) -> None:
        self.mapping, self.table, self.ctx = mapping, table, ctx
        self.system = mapping.system if ctx.system in ("", DEFAULT_SYSTEM) else ctx.system
        self.onto = load_ontology()
        self.columns: dict[str, int] = {}
        self._bind("record_id", mapping.record_id)
        for entity in mapping.entities:
            self._bind(f"{entity.key}.id", entity.ids)
            self._bind_condition(entity.when)
            for spec in entity.properties:
                self._bind(spec.key, spec.columns)
        for ref in mapping.refs:
            self._bind(f"{ref.key}.id", ref.ids)
        for rel in mapping.relationships:
            self._bind_condition(rel.when)
            for spec in (*rel.properties, *([rel.discriminator] if rel.discriminator else [])):
                self._bind(spec.key, spec.columns)

    def _bind(self, key: str, names: tuple[str, ...]) -> None:
        for name in names:
            index = self.table.find(name)
            if index is None:
                header = ", ".join(self.table.header) or "(empty)"
                raise MappingError(
                    f"{self.mapping.path}: {key}: no column {name!r} in {self.table.path}",
                    hint=f"the header is: {header}",
                )
            self.columns[name] = index

    def _bind_condition(self, when: Condition | None) -> None:
        if when is not None:
            self._bind(when.key, (when.column,))

    def get(self, row: CsvRow, name: str) -> str:
        return row.cell(self.columns[name])

    def holds(self, when: Condition | None, row: CsvRow) -> bool:
        if when is None:
            return True
        value = self.get(row, when.column)
        return bool(value) if when.equals is None else code(value) in when.equals

    def raw(self, spec: ValueSpec, row: CsvRow) -> str:
        if spec.constant is not None:
            return spec.constant
        return spec.separator.join(v for v in (self.get(row, c) for c in spec.columns) if v)

    def clean(self, spec: ValueSpec, text: str, geo: tuple[str, str] | None = None) -> Value:
        assert spec.prop is not None
        value = clean_value(
            spec.prop, text, as_type=spec.as_type, translate=dict(spec.translate),
            otherwise=spec.otherwise, period_end=spec.period_end,
        )  # fmt: skip
        problem = geo_problem(spec.prop.name, value.value, geo) if value.value is not None else None
        return Value(None, False, problem, text) if problem else value

    def values(self, spec: ValueSpec, row: CsvRow, geo: tuple[str, str] | None) -> tuple[Any, Value]:
        """The value to store (a list for a multiple property) and the cleaning result behind it."""
        assert spec.prop is not None
        text = self.raw(spec, row)
        if not spec.prop.multiple:
            result = self.clean(spec, text, geo)
            return result.value, result
        pieces = text.split(spec.split) if spec.split else [text]
        results = [self.clean(spec, piece, geo) for piece in pieces if piece.strip()]
        kept = [r.value for r in results if r.value is not None and r.valid]
        first_failure = next((r for r in results if not r.valid), Value(None, False, "empty", text))
        return (kept or None), (Value(kept, True, None, text) if kept else first_failure)

    def field(self, spec: ValueSpec) -> str | None:
        return "+".join(spec.columns) or None

    def node(self, entity: EntitySpec, row: CsvRow, source: SourceRecord) -> Node | None:
        """The entity's node for this row, None when the row does not make it; raises _Reject."""
        if not self.holds(entity.when, row):
            return None
        entity_type = self.onto.entity(entity.label)
        props: dict[str, Any] = {}
        raws: list[str] = []
        valid = True
        failures: list[tuple[ValueSpec, Value]] = []
        for spec in entity.properties:
            assert spec.prop is not None
            value, result = self.values(spec, row, entity_type.geo)
            is_key = spec.prop.key
            if value is not None and (result.valid or is_key):
                props[spec.prop.name] = value
                if spec.prop.key:
                    raws.append(result.raw)
                    valid = valid and result.valid
            elif is_key and not (spec.required or entity.required):
                return None  # no key, no node: the row simply does not name one
            elif spec.required or spec.prop.required or is_key:
                failures.append((spec, result))
        if failures:
            spec, result = failures[0]
            raise _Reject(self.field(spec), f"{spec.key}: {result.reason or 'empty'}")
        parts = {
            s.prop.name: self.raw(s, row) for s in entity.properties if s.prop and s.prop.name in NAME_PARTS
        }
        if parts:  # a surname and forenames are only understood together
            for name in NAME_PARTS:
                props.pop(name, None)
            props.update(name_parts(parts.get("surname", ""), parts.get("forenames", "")))
        if entity_type.get("valid") is not None and raws:
            props["valid"] = valid
            props["raw_values"] = raws
        if entity.by_value:
            key = "|".join(str(props[p.name]) for p in entity_type.key_properties)
            return Node(entity.label, value_uid(entity.label, key), props)
        return Node(entity.label, source_uid(entity.label, source, entity.part), props)

    def record_id(self, row: CsvRow) -> str:
        values = [self.get(row, name) for name in self.mapping.record_id]
        empty = [name for name, value in zip(self.mapping.record_id, values, strict=True) if not value]
        if empty:
            raise _Reject("+".join(empty), "the record id is empty")
        joined = ":".join(values)
        return f"{self.mapping.record_prefix}:{joined}" if self.mapping.record_prefix else joined

    def source(self, row: CsvRow) -> SourceRecord:
        return SourceRecord(
            self.system, self.ctx.force, self.record_id(row), row.line, self.table.payload(row)
        )

    def ref_key(self, ids: tuple[str, ...], row: CsvRow) -> str:
        return "\x1f".join(self.get(row, name) for name in ids)

    def bundle(self, row: CsvRow, index: dict[str, _IdIndex]) -> Bundle:
        source = self.source(row)
        ends: dict[str, _End] = {}
        nodes: list[Node] = []
        for entity in self.mapping.entities:
            node = self.node(entity, row, source)
            if node is not None:
                nodes.append(node)
                ends[entity.name] = _End(node.label, node.uid)
        for ref in self.mapping.refs:
            key = self.ref_key(ref.ids, row)
            if not key.strip("\x1f"):
                continue
            uid = index[ref.name].get(key)
            if uid is not None:
                ends[ref.name] = _End(ref.entity.label, uid)
            elif not ref.skip_missing:
                shown = key.replace("\x1f", ", ")
                raise _Reject(
                    "+".join(ref.ids),
                    f"{ref.key}: no {ref.entity.label} with id {shown} in {index[ref.name].file}",
                )
        edges: list[Edge] = []
        for rel in self.mapping.relationships:
            start, end = ends.get(rel.start), ends.get(rel.end)
            if start is None or end is None or not self.holds(rel.when, row):
                continue
            props: dict[str, Any] = {}
            for spec in rel.properties:
                assert spec.prop is not None
                value, result = self.values(spec, row, None)
                if value is not None and result.valid:
                    props[spec.prop.name] = value
                elif spec.required or spec.prop.required:
                    raise _Reject(self.field(spec), f"{spec.key}: {result.reason or 'empty'}")
            keys = [
                str(props[p.name]) for p in self.onto.relationship(rel.type).key_properties if p.name in props
            ]
            if rel.discriminator is not None:
                keys.append(self.raw(rel.discriminator, row))
            edges.append(Edge(rel.type, start.label, start.uid, end.label, end.uid, props, "|".join(keys)))
        return Bundle(source, tuple(nodes), tuple(edges))

    def read(self, index: dict[str, _IdIndex]) -> Iterator[Bundle | Quarantined]:
        where = self.ctx.source_file or str(self.table.path)
        for row in self.table:
            if row.error:
                yield Quarantined(where, row.line, None, row.error, row.raw)
                continue
            try:
                yield self.bundle(row, index)
            except _Reject as reject:
                yield Quarantined(where, row.line, reject.field, reject.reason, row.raw)


class _IdIndex:
    """Ids of the rows of another mapping's file → the uids its entity got (SQLite on disk)."""

    def __init__(self, folder: Path, ref: RefSpec, data_dir: Path, ctx: LoadContext) -> None:
        target = ref.target
        found = sorted({p for pattern in target.files for p in data_dir.glob(pattern) if p.is_file()})
        if len(found) != 1:
            names = ", ".join(p.name for p in found) or "none"
            raise MappingError(
                f"{target.path}: file: {ref.key} needs exactly one file for {', '.join(target.files)} "
                f"in {data_dir}, found {names}",
                hint="put the node files beside the relationship file, or set options.extra['ref_dir']",
            )
        self.file = found[0]
        self.db = sqlite3.connect(folder / f"{ref.name}.sqlite")
        self.db.execute("PRAGMA journal_mode = OFF")  # a throwaway index: no journal, no fsync
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY, uid TEXT NOT NULL) WITHOUT ROWID")
        with CsvFile(self.file) as table:
            rows = _Rows(target, table, ctx)
            batch: list[tuple[str, str]] = []
            for row in table:
                try:
                    node = None if row.error else rows.node(ref.entity, row, rows.source(row))
                except _Reject:
                    node = None  # the node file quarantines this row: no node to link to
                if node is not None:
                    batch.append((rows.ref_key(ref.entity.ids, row), node.uid))
                if len(batch) >= _BATCH:
                    self._insert(batch)
            self._insert(batch)

    def _insert(self, batch: list[tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?)", batch)  # the first row wins
        batch.clear()

    def get(self, key: str) -> str | None:
        found = self.db.execute("SELECT uid FROM ids WHERE id = ?", (key,)).fetchone()
        return None if found is None else str(found[0])

    def close(self) -> None:
        self.db.close()


def read_with_mapping(
    mapping: Mapping, path: Path, ctx: LoadContext, ref_dir: Path | None = None
) -> Iterator[Bundle | Quarantined]:
    """Stream the bundles (or quarantined rows) ``mapping`` makes of the CSV at ``path``."""
    with ExitStack() as stack:
        table = stack.enter_context(CsvFile(path, "a CSV export"))
        if not table.header:
            return  # an empty file: nothing to load
        rows = _Rows(mapping, table, ctx)
        index: dict[str, _IdIndex] = {}
        if mapping.refs:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="polegraph-ids-")))
            for ref in mapping.refs:
                index[ref.name] = _IdIndex(folder, ref, ref_dir or path.parent, ctx)
                stack.callback(index[ref.name].close)
        yield from rows.read(index)


@register("mapping", "any CSV through a YAML mapping (options.mapping)", DEFAULT_SYSTEM)
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """The ``mapping`` format: ``options.mapping`` is the YAML file (``SHIPPED`` holds polegraph's own)."""
    if options.mapping is None:
        raise MappingError(
            "the mapping format needs a mapping file", hint="pass --mapping path/to/mapping.yaml"
        )
    mapping = read_mapping(options.mapping)
    ref_dir = options.extra.get("ref_dir")
    yield from read_with_mapping(mapping, path, ctx, Path(ref_dir) if ref_dir else None)


def _depth(mapping: Mapping) -> int:
    """0 for a mapping that refers to no other; else one more than the deepest it refers to."""
    return 1 + max(_depth(ref.target) for ref in mapping.refs) if mapping.refs else 0


def mapping_plan(data_dir: Path, mapping_dir: Path) -> list[tuple[Path, Path]]:
    """(CSV, mapping) pairs for every CSV of ``data_dir`` a mapping's ``file:`` names, in load order.

    A file comes after the files whose nodes it refers to: the writer links only nodes that exist.
    """
    chosen: dict[Path, Path] = {}
    order: dict[Path, tuple[int, str]] = {}
    for mapping_path in sorted(mapping_dir.glob("*.yaml")):
        mapping = read_mapping(mapping_path)
        for pattern in mapping.files:
            for csv_path in data_dir.glob(pattern):
                if chosen.get(csv_path, mapping_path) != mapping_path:
                    raise MappingError(f"{csv_path} is named by both {chosen[csv_path]} and {mapping_path}")
                chosen[csv_path] = mapping_path
                order[csv_path] = (_depth(mapping), csv_path.name)
    return [(p, chosen[p]) for p in sorted(chosen, key=order.__getitem__)]
