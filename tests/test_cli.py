"""Every command of the CLI answers --help, and the stack commands report what they did."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from polegraph.cli import app

runner = CliRunner()


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    # Groups have sub-commands (typer's group class need not be click's).
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*prefix, name))
    return paths


ALL_COMMANDS = _command_paths(typer.main.get_command(app))


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "polegraph")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # The first line of the docstring is the help: no command is left undescribed.
    assert len(result.output.split("Usage:")[1].strip().splitlines()) > 2


def test_core_commands_exist() -> None:
    names = {" ".join(p) for p in ALL_COMMANDS}
    assert {"stack up", "stack down", "stack status", "init"} <= names
