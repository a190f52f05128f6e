"""The bounded ``source_keys`` list of a shared node: the keys a batch sends for it (``kept_sources``)
leave the list exactly as the whole batch would, and a record id with colons still names its system."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from polegraph.graph.writer import SOURCE_KEYS_KEPT, kept_sources, source_ref


def _append(acc: list[str], sources: list[dict[str, str]]) -> list[str]:
    """What ``append_sources(capped=True)`` computes in Cypher, step by step."""
    acc = list(acc)
    for src in sources:
        if src["key"] not in acc and (
            len(acc) < SOURCE_KEYS_KEPT or not any(k.startswith(src["system"]) for k in acc)
        ):
            acc.append(src["key"])
    return acc


def test_a_record_id_with_colons_keeps_its_force_and_system() -> None:
    ref = source_ref("src:GMP:cdr:+447700900030:20230911T201927Z:cd734057")
    assert ref["system"] == "src:GMP:cdr:"


_keys = st.builds(
    lambda system, n: f"src:GMP:{system}:{n}:{n % 7}",
    st.sampled_from(["cdr", "niche", "anpr", "xry"]),
    st.integers(0, 400),
)


@given(
    existing=st.lists(_keys, unique=True, max_size=SOURCE_KEYS_KEPT + 20),
    batch=st.lists(_keys, unique=True, max_size=3 * SOURCE_KEYS_KEPT),
)
def test_the_kept_sources_leave_the_list_as_the_whole_batch_would(
    existing: list[str], batch: list[str]
) -> None:
    sources = [source_ref(key) for key in batch]
    kept = kept_sources(sources)
    assert len(kept) <= SOURCE_KEYS_KEPT + 4
    assert _append(existing, kept) == _append(existing, sources)
