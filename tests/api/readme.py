"""The investigator's queries as the README shows them: tests run exactly what users are told to run."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"
SECTION = "## Investigating through the API"


def readme_queries() -> dict[str, str]:
    """The GraphQL blocks of the README's API section, by operation name, in order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.find("\n## ", len(SECTION))]
    blocks = re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)
    return {re.search(r"(?:query|mutation) (\w+)", b)[1]: b for b in blocks}  # type: ignore[index]
