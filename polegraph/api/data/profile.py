"""Profile fields: what a Person, an Event and an Object show beyond their own properties.

Each field is a view of the node's one-hop links, read once per request for all the nodes on a
page (the links DataLoader), under the principal: an unreadable address, phone, event or report
is not in the list at all. Intelligence reaches one hop further, through the person's phones,
vehicles and other objects, because reports name numbers and registrations more often than people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from polegraph.api.context import RequestContext
from polegraph.api.data.linking import resolved_person
from polegraph.api.data.loaders import graph_loaders, load_links
from polegraph.api.data.nodes import Node, NodeLink, Relationship, as_link, as_node
from polegraph.graph.read import GraphNode, Link, ReadError
from polegraph.schema import load_ontology

Info = strawberry.Info[RequestContext, None]

ADDRESS_TYPES = frozenset({"LIVES_AT", "ASSOCIATED_WITH"})
VEHICLE_TYPES = frozenset({"OWNS", "DRIVES"})
PERSON_TYPES = frozenset({"KNOWS", "FAMILY_REL", "SAME_AS", "POSSIBLE_SAME_AS"})
HOLDER_TYPES = frozenset({"HAS_PHONE", "HAS_EMAIL", "HAS_ACCOUNT", "OWNS", "DRIVES", "USES_DEVICE"})
PERSON_IDENTIFIERS = ("pnc_id", "cro", "nino")


@strawberry.type(
    description="An identifier of a person: a number on their record, or an object linked to them."
)
class Identifier:
    kind: str
    value: str
    link: NodeLink | None = strawberry.field(
        description="The object and how it is linked; null for a number."
    )


@strawberry.type(description="Intelligence grading of a report (3x5x2, or 5x5x5 kept as recorded).")
class Grading:
    scheme: str | None
    source_evaluation: str | None
    intelligence_assessment: str | None
    handling_code: str | None
    handling_conditions: str | None
    legacy_source_grade: str | None
    legacy_intelligence_grade: str | None
    legacy_handling_code: str | None


@strawberry.type(description="An intelligence report on a person or on one of their objects.")
class Intelligence:
    report: Node
    relationship: Relationship
    via: Node | None = strawberry.field(
        description="The phone, vehicle... the report is on; null when on the person."
    )
    grading: Grading


def _is(node: GraphNode, label: str) -> bool:
    return label in node.labels


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _grading(report: GraphNode) -> Grading:
    p = report.props
    return Grading(
        scheme=_text(p.get("grading_scheme")),
        source_evaluation=_text(p.get("source_evaluation")),
        intelligence_assessment=_text(p.get("intelligence_assessment")),
        handling_code=_text(p.get("handling_code")),
        handling_conditions=_text(p.get("handling_conditions")),
        legacy_source_grade=_text(p.get("legacy_source_grade")),
        legacy_intelligence_grade=_text(p.get("legacy_intelligence_grade")),
        legacy_handling_code=_text(p.get("legacy_handling_code")),
    )


async def _links(root: Node, info: Info, keep: Callable[[Link], bool]) -> list[NodeLink]:
    found = await load_links(info.context, root.graph.key)
    return [as_link(info.context, link) for link in found if keep(link)]


async def addresses(root: Node, info: Info) -> list[NodeLink]:
    """Where the person lives or is associated with."""
    return await _links(root, info, lambda k: k.edge.type in ADDRESS_TYPES and _is(k.node, "Location"))


async def phones(root: Node, info: Info) -> list[NodeLink]:
    """Phone numbers the person uses."""
    return await _links(root, info, lambda k: k.edge.type == "HAS_PHONE")


async def vehicles(root: Node, info: Info) -> list[NodeLink]:
    """Vehicles the person owns or drives."""
    return await _links(root, info, lambda k: k.edge.type in VEHICLE_TYPES and _is(k.node, "Vehicle"))


async def linked_persons(root: Node, info: Info) -> list[NodeLink]:
    """People recorded as known to, related to, or (possibly) the same as this person."""
    return await _links(root, info, lambda k: k.edge.type in PERSON_TYPES)


def _role(role: str | None, rel: str) -> str | None:
    if role is not None and role not in load_ontology().property(rel, "role").values:
        raise ReadError(f"unknown role {role[:40]!r} of {rel}")
    return role


async def events(root: Node, info: Info, role: str | None = None) -> list[NodeLink]:
    """Events the person took part in, with the role on each (SUSPECT, VICTIM ...)."""
    wanted = _role(role, "INVOLVED_IN")
    return await _links(
        root,
        info,
        lambda k: k.edge.type == "INVOLVED_IN" and (wanted is None or k.edge.props.get("role") == wanted),
    )


async def participants(root: Node, info: Info, role: str | None = None) -> list[NodeLink]:
    """People and objects involved in the event, with their roles."""
    return await events(root, info, role)


async def locations(root: Node, info: Info) -> list[NodeLink]:
    """Where the event happened (scene, arrest, last seen ...)."""
    return await _links(root, info, lambda k: k.edge.type == "OCCURRED_AT")


async def holders(root: Node, info: Info) -> list[NodeLink]:
    """People (and places) that hold this object."""
    return await _links(root, info, lambda k: k.edge.type in HOLDER_TYPES)


async def object_events(root: Node, info: Info) -> list[NodeLink]:
    """Events the object is tied to: crimes, calls, messages, reads, intelligence reports."""
    return await _links(root, info, lambda k: _is(k.node, "Event"))


def _object_value(node: GraphNode) -> str:
    keys = load_ontology().entity(node.label).key_properties
    return " ".join(str(node.props[p.name]) for p in keys if node.props.get(p.name) is not None)


async def identifiers(root: Node, info: Info) -> list[Identifier]:
    """PNC ID, CRO and NINO on the record, then the phones, e-mails, handsets, accounts and documents."""
    found: list[Identifier] = [
        Identifier(kind=name, value=str(root.graph.props[name]), link=None)
        for name in PERSON_IDENTIFIERS
        if root.graph.props.get(name)
    ]
    for link in await load_links(info.context, root.graph.key):
        if _is(link.node, "Object") and not _is(link.node, "Vehicle"):
            value = _object_value(link.node)
            found.append(Identifier(kind=link.node.label, value=value, link=as_link(info.context, link)))
    return found


async def intelligence(root: Node, info: Info) -> list[Intelligence]:
    """Reports on the person, and on the objects linked to them, with grading and handling."""
    ctx = info.context
    own = await load_links(ctx, root.graph.key)
    objects = [link.node for link in own if _is(link.node, "Object")]
    theirs = await graph_loaders(ctx).links.load_many([o.key for o in objects])
    found: list[Intelligence] = []
    for via, via_links in [(None, own), *zip(objects, theirs, strict=True)]:
        for link in via_links:
            if link.edge.type == "SUBJECT_OF" and _is(link.node, "IntelReport"):
                found.append(
                    Intelligence(
                        report=as_node(ctx, link.node),
                        relationship=Relationship(edge=link.edge),
                        via=as_node(ctx, via) if via is not None else None,
                        grading=_grading(link.node),
                    )
                )
    return found


# Extra fields (name: resolver) by the type they apply to (a type gets those of every type it is).
EXTRA_FIELDS: dict[str, dict[str, Callable[..., Any]]] = {
    "Person": {
        "identifiers": identifiers, "addresses": addresses, "phones": phones, "vehicles": vehicles,
        "events": events, "intelligence": intelligence, "linked_persons": linked_persons,
        "resolved_person": resolved_person,
    },
    "Event": {"participants": participants, "locations": locations},
    "Object": {"holders": holders, "events": object_events},
}  # fmt: skip
