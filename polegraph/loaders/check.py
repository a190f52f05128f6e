"""Checks a bundle against the ontology before it is written: a loader bug fails loudly here."""

from __future__ import annotations

from polegraph.loaders.records import Bundle
from polegraph.schema import load_ontology
from polegraph.schema.model import IDENTITY_SOURCE

# Set by the writer from the load context and the source record; loaders leave them alone.
WRITER_PROPERTIES = frozenset(
    {
        "uid", "force", "classification", "caveat", "descriptors", "handling_code",
        "handling_conditions", "handling_instructions", "source_keys", "load_ids",
    }
)  # fmt: skip


def bundle_problems(bundle: Bundle) -> list[str]:
    """Everything wrong with ``bundle`` against the ontology (empty when it is sound)."""
    onto = load_ontology()
    problems: list[str] = []
    where = bundle.source.key
    uids: dict[str, str] = {}
    for node in bundle.nodes:
        if not onto.is_label(node.label) or onto.entity(node.label).abstract:
            problems.append(f"{where}: {node.label!r} is not a concrete entity type")
            continue
        entity = onto.entity(node.label)
        uids[node.uid] = node.label
        for name, value in node.props.items():
            spec = entity.get(name)
            if spec is None:
                problems.append(f"{where}: {node.label} has no property {name!r}")
            elif name in WRITER_PROPERTIES:
                problems.append(f"{where}: {node.label}.{name} is set by the writer, not the loader")
            elif spec.multiple and value is not None and not isinstance(value, list):
                problems.append(f"{where}: {node.label}.{name} holds a list")
        for spec in entity.key_properties:
            if entity.identity != IDENTITY_SOURCE and node.props.get(spec.name) in (None, ""):
                problems.append(f"{where}: {node.label} lacks its key property {spec.name!r}")
    for edge in bundle.edges:
        if not onto.is_relationship_type(edge.type):
            problems.append(f"{where}: {edge.type!r} is not a relationship type")
            continue
        rel = onto.relationship(edge.type)
        if not rel.allows(edge.start_label, edge.end_label):
            problems.append(f"{where}: {edge.type} does not run {edge.start_label} -> {edge.end_label}")
        for name in edge.props:
            if rel.get(name) is None:
                problems.append(f"{where}: {edge.type} has no property {name!r}")
        for uid, label in ((edge.start_uid, edge.start_label), (edge.end_uid, edge.end_label)):
            if uids.get(uid, label) != label:
                problems.append(f"{where}: {edge.type} names {uid} as {label}, the node is {uids[uid]}")
    return problems
