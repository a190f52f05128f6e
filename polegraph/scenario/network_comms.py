"""The network's communications: call data on two of its phones, and two seized handsets.

Call data is obtained on the shared "work" phone (operator A) and on the leader's own phone
(operator B): calls and texts, mostly at night, to the other offenders, to the children and to
ordinary people (family, a taxi firm, friends), through cells in the network's towns. The
handsets are the leader's, seized on arrest, and the phone the network gave a child: contacts
saved under street names and pet names, calls, texts and WhatsApp chats.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from polegraph.scenario.files_ufdr import Chat, Extraction, Item, Party
from polegraph.scenario.forces import Site
from polegraph.scenario.network import Network
from polegraph.scenario.network_events import night
from polegraph.scenario.population import Human, Population
from polegraph.scenario.rand import chance, stream
from polegraph.scenario.records import CallEvent, Planted

NETWORK = Planted()
LEADER_SMS = (
    "where r u",
    "come to the flat at 10",
    "dont tell no one",
    "ill pick u up outside",
    "delete this",
    "bring ur mate",
    "got u something",
    "answer ur phone",
    "party 2nite x",
    "wear the top i got u",
)
GROUP_CHAT = (
    "bringing 2 girls to the hotel sat",
    "use the focus not the bmw",
    "new one from the care home",
    "pick up at 10 behind the interchange",
    "dont use ur own phone use the work one",
    "party at the flat tonight",
    "cameras on the m62 be careful",
    "shes 14 keep it quiet",
    "who's got the room key",
    "drop them back before 2",
)
CHILD_CHAT = (
    "u coming out 2nite?",
    "cant my carers r watching",
    "ill wait round the corner",
    "ok x",
    "dont tell the staff where u r going",
    "i wont",
    "u owe me for the phone remember",
    "ok",
)


@dataclass(frozen=True, slots=True)
class CdrTarget:
    """The call data of one target phone from one operator."""

    target: str
    layout: str  # "A" or "B" (see files_cdr)
    imsi: str
    imei: str
    events: tuple[CallEvent, ...]


def _imsi(holder: int) -> str:
    return f"23415{holder:010d}"


def _bystanders(pop: Population, rng: random.Random, count: int) -> list[Human]:
    """Ordinary people the network's phones call (family, a taxi firm, friends), all with mobiles."""
    found: list[Human] = []
    for _ in range(count * 8):
        person = pop.pick(rng, 0)
        if person.mobile and person not in found:
            found.append(person)
        if len(found) == count:
            break
    return found


def _events(
    target: str,
    contacts: list[tuple[Human, str, float]],
    n: int,
    rng: random.Random,
    cells: tuple[list[Site], list[Site]],
) -> tuple[CallEvent, ...]:
    """``n`` events on ``target``'s line with ``contacts`` (person, number, weight)."""
    weights = [w for _, _, w in contacts]
    events = []
    for _ in range(n):
        person, number, _ = rng.choices(contacts, weights)[0]
        kind = rng.choice(("MOC", "MTC", "SMS-MO", "SMS-MT", "SMS-MO"))
        outgoing = kind in ("MOC", "SMS-MO")
        start = night(rng).replace(tzinfo=dt.UTC, second=rng.randrange(60))
        home, away = cells
        cell = rng.choice(away if away and chance(rng, 0.2) else home)
        duration = rng.randrange(5, 600) if kind in ("MOC", "MTC") else 0
        events.append(
            CallEvent(
                start=start,
                kind=kind,
                a_number=target if outgoing else number,
                b_number=number if outgoing else target,
                duration=duration,
                first_cell=cell,
                last_cell=rng.choice(home) if duration > 120 else cell,
                parties=(person,),
                planted=NETWORK,
            )
        )
    return tuple(events)


def call_data(
    net: Network, pop: Population, seed: int, cells: tuple[list[Site], list[Site]]
) -> list[CdrTarget]:
    """Call data on the work phone (operator A) and the leader's phone (operator B)."""
    rng = stream(seed, "network-cdr")
    n = max(150, min(5000, pop.people // 20))
    family = _bystanders(pop, rng, 12)
    o, v = net.offenders, net.victims
    work_contacts = [(h, h.mobile or "", 3.0) for h in o[1:] if h.mobile]
    work_contacts += [(h, h.mobile or "", 4.0) for h in v if h.mobile]
    work_contacts += [(net.gift_phone_users[0], net.gift_phone, 5.0)]
    work_contacts += [(h, h.mobile or "", 1.0) for h in family]
    leader_contacts = [(h, h.mobile or "", 3.0) for h in o[1:] if h.mobile]
    leader_contacts += [(o[1], net.work_phone, 4.0)] + [(h, h.mobile or "", 1.0) for h in v[:2] if h.mobile]
    leader_contacts += [(h, h.mobile or "", 2.0) for h in family]
    leader = o[0]
    assert leader.mobile is not None
    assert leader.imei is not None
    return [
        CdrTarget(
            net.work_phone,
            "A",
            _imsi(30),
            net.work_imei,
            _events(net.work_phone, work_contacts, n, rng, cells),
        ),
        CdrTarget(
            leader.mobile,
            "B",
            _imsi(leader.holder),
            leader.imei,
            _events(leader.mobile, leader_contacts, n, rng, cells),
        ),
    ]


def _jid(e164: str) -> str:
    return f"{e164[1:]}@s.whatsapp.net"


def _messages(
    rng: random.Random, lines: tuple[str, ...], senders: list[str], count: int
) -> tuple[tuple[dt.datetime, str, str], ...]:
    start = night(rng).replace(tzinfo=dt.UTC)
    return tuple(
        (start + dt.timedelta(minutes=3 * i + rng.randrange(3)), rng.choice(senders), rng.choice(lines))
        for i in range(count)
    )


def extractions(net: Network, pop: Population, seed: int) -> list[Extraction]:
    """The leader's seized handset and the phone the network gave a child."""
    rng = stream(seed, "network-ufdr")
    o, v = net.offenders, net.victims
    leader, child = o[0], net.gift_phone_users[0]
    assert leader.mobile is not None
    assert leader.imei is not None
    contacts = [
        Item(
            "Contact",
            None,
            party=Party(h.mobile or "", f"{h.street_name}{rng.choice(('', ' mate', ' 🔥'))}", h),
        )
        for h in o[1:]
    ]
    contacts += [
        Item(
            "Contact",
            None,
            party=Party(h.mobile or "", f"{h.forenames[0]} {rng.choice(('🌸', 'x', '💕'))}", h),
        )
        for h in v
    ]
    contacts.append(Item("Contact", None, party=Party(net.work_phone, "W", o[1])))
    calls = []
    for _ in range(20):
        other = rng.choice([*o[1:], *v])
        direction = rng.choice(("Outgoing", "Incoming", "Missed"))
        calls.append(
            Item(
                "Call",
                night(rng).replace(tzinfo=dt.UTC),
                direction,
                Party(other.mobile or "", "", other),
                duration=0 if direction == "Missed" else rng.randrange(10, 400),
            )
        )
    sms = [
        Item(
            "SMS",
            night(rng).replace(tzinfo=dt.UTC),
            "Sent",
            Party(h.mobile or "", "", h),
            body=rng.choice(LEADER_SMS),
        )
        for h in (rng.choice(v) for _ in range(15))
    ]
    lads = [Party(_jid(leader.mobile), "Me", leader, owner=True)]
    lads += [Party(_jid(h.mobile or ""), h.street_name or "", h) for h in o[1:5]]
    group = Chat(
        "WhatsApp",
        "120363025550001234@g.us",
        tuple(lads),
        _messages(rng, GROUP_CHAT, [p.identifier for p in lads], 14),
    )
    members = (
        Party(_jid(leader.mobile), "Me", leader, owner=True),
        Party(_jid(net.gift_phone), child.forenames[0], child),
    )
    one_to_one = Chat(
        "WhatsApp",
        _jid(net.gift_phone),
        members,
        _messages(rng, CHILD_CHAT, [m.identifier for m in members], 8),
    )
    leader_handset = Extraction(
        "leader",
        f"Exhibit {leader.forenames[0][0]}{leader.surname[0]}/1",
        leader,
        leader.mobile,
        leader.imei,
        _imsi(leader.holder),
        "Samsung",
        "SM-A536B",
        leader.street_name or "",
        tuple(contacts + calls + sms),
        (group, one_to_one),
        NETWORK,
    )
    mum = _bystanders(pop, rng, 1)
    child_contacts = [
        Item("Contact", None, party=Party(net.work_phone, f"{leader.street_name} 😘", leader)),
        Item("Contact", None, party=Party(o[1].mobile or "", f"Uncle {o[1].street_name}", o[1])),
        Item("Contact", None, party=Party(v[2].mobile or "", f"{v[2].forenames[0]} bestie", v[2])),
    ]
    child_contacts += [Item("Contact", None, party=Party(m.mobile or "", "Mum", m)) for m in mum]
    child_sms = [
        Item(
            "SMS",
            night(rng).replace(tzinfo=dt.UTC),
            rng.choice(("Inbox", "Sent")),
            Party(net.work_phone, "", leader),
            body=rng.choice(LEADER_SMS),
        )
        for _ in range(10)
    ]
    child_calls = [
        Item(
            "Call",
            night(rng).replace(tzinfo=dt.UTC),
            "Incoming",
            Party(net.work_phone, "", leader),
            duration=rng.randrange(20, 300),
        )
        for _ in range(6)
    ]
    # The same WhatsApp conversation, seen from the child's side.
    child_side = (
        Party(_jid(net.gift_phone), "Me", child, owner=True),
        Party(_jid(leader.mobile), f"{leader.street_name} 😘", leader),
    )
    child_chat = Chat(
        "WhatsApp",
        _jid(leader.mobile),
        child_side,
        _messages(rng, CHILD_CHAT, [p.identifier for p in child_side], 6),
    )
    child_handset = Extraction(
        "gift",
        f"Exhibit {child.forenames[0][0]}{child.surname[0]}/2",
        child,
        net.gift_phone,
        net.gift_imei,
        _imsi(31),
        "Apple",
        "iPhone 11",
        child.forenames[0],
        tuple(child_contacts + child_calls + child_sms),
        (child_chat,),
        NETWORK,
    )
    return [leader_handset, child_handset]
