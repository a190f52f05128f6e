"""Generation is deterministic by seed, streams in bounded memory, and refuses to clobber a folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from polegraph.errors import PolegraphError
from polegraph.scenario import generate, population


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", forces=2, people=300, seed=5)
    second = generate(tmp_path / "b", forces=2, people=300, seed=5)
    assert first == second
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    other = generate(tmp_path / "c", forces=2, people=300, seed=6)
    assert _digests(tmp_path / "c") != _digests(tmp_path / "a")
    assert other.records != first.records or other.files != first.files


def test_another_process_writes_the_same_bytes(tmp_path: Path) -> None:
    # A fresh interpreter with another string-hash seed: no set or dict order may leak into a file.
    generate(tmp_path / "here", forces=2, people=300, seed=5)
    code = (
        "import sys; from pathlib import Path; from polegraph.scenario import generate; "
        "generate(Path(sys.argv[1]), forces=2, people=300, seed=5)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env, timeout=120)
    assert _digests(tmp_path / "here") == _digests(tmp_path / "there")


def test_regenerating_into_a_scenario_folder_replaces_it(tmp_path: Path) -> None:
    generate(tmp_path, forces=3, people=300, seed=1)
    smaller = generate(tmp_path, forces=1, people=200, seed=1)
    forces = {path.name for path in tmp_path.iterdir() if path.is_dir()} - {"truth"}
    assert forces == {"GMP"}
    assert smaller.forces == ("GMP",)


def test_a_folder_holding_other_files_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    with pytest.raises(PolegraphError, match="holds no scenario"):
        generate(tmp_path, forces=1, people=200, seed=1)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a scenario"


def test_sizes_follow_the_population(tmp_path: Path) -> None:
    small = generate(tmp_path / "small", forces=2, people=400, seed=3)
    large = generate(tmp_path / "large", forces=2, people=4000, seed=3)
    assert 1.6 < large.records / 4000 < 2.2
    assert large.records > 5 * small.records
    for fmt in ("crime", "anpr", "custody", "intel", "missing"):  # floors and the network weigh on the small
        assert large.records_by_format()[fmt] > 3 * small.records_by_format()[fmt]


def test_memory_does_not_grow_with_the_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache of built people is the one thing that grows until it is full: shrink it so that
    # both sizes run with it full, then four times the records must not take more memory.
    monkeypatch.setattr(population, "HUMAN_CACHE", 128)
    peaks = []
    for people in (400, 1600):
        tracemalloc.start()
        generate(tmp_path / str(people), forces=2, people=people, seed=9)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0]


@pytest.mark.parametrize("forces", [1, 2])
def test_few_forces_still_plant_the_whole_network(tmp_path: Path, forces: int) -> None:
    manifest = generate(tmp_path, forces=forces, people=300, seed=4)
    assert len(manifest.forces) == forces
    assert {f.format for f in manifest.files} >= {"cdr", "ufdr", "crime", "intel"}
    text = (tmp_path / "ground_truth.json").read_text(encoding="utf-8")
    assert text.count('"text_id"') == 9


def test_impossible_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="forces"):
        generate(tmp_path / "a", forces=0, people=300, seed=1)
    with pytest.raises(ValueError, match="too few"):
        generate(tmp_path / "b", forces=3, people=10, seed=1)
