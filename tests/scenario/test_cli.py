"""``polegraph demo generate``: the files, a summary table, and a clear error for a bad folder."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from polegraph.scenario import ScenarioManifest
from polegraph.scenario.cli import demo_app

runner = CliRunner()


def test_generate_writes_the_scenario_and_summarises_it(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["generate", "--forces", "2", "--people", "300", "--seed", "3", "--out", str(out)]
    result = runner.invoke(demo_app, args)
    assert result.exit_code == 0, result.output
    manifest = ScenarioManifest.load(out)
    assert manifest.forces == ("GMP", "WYP")
    assert (out / "load.sh").is_file()
    assert "records/s" in result.output
    assert f"{len(manifest.files)} files, {manifest.records:,} records" in result.output
    for fmt, count in manifest.records_by_format().items():
        assert fmt in result.output
        assert f"{count:,}" in result.output


def test_generate_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(demo_app, ["generate", "--people", "300", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "holds no scenario" in result.output
    assert (tmp_path / "keep.txt").exists()


def test_generate_checks_its_numbers(tmp_path: Path) -> None:
    result = runner.invoke(demo_app, ["generate", "--forces", "11", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()
