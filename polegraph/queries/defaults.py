"""The three saved queries an intelligence unit starts with (``polegraph saved install-defaults``).

Each is a ``.graphql`` file in ``defaults/`` (read them: they are what runs) with its alert
policy here. They are installed as the owner's, shared with the owner's unit, on a schedule.
The operations are not checked here against the schema (this package knows nothing of the API):
the test suite runs each through the API's checks and against the generated scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from neo4j import Driver

from polegraph.queries.store import AlertPolicy, SavedQuery, create_saved_query
from polegraph.security.policy import Principal

PURPOSE = "Child exploitation watch list (default saved query)"


@dataclass(frozen=True)
class DefaultQuery:
    name: str
    file: str
    policy: AlertPolicy

    @property
    def operation(self) -> str:
        return files("polegraph.queries").joinpath("defaults", self.file).read_text(encoding="utf-8")


DEFAULTS = (
    DefaultQuery(
        "Closed CSE cases: suspects, phones or vehicles in newer records",
        "closed_cases_reappearing.graphql",
        AlertPolicy(match_path="closedCaseReappearances", id_field="record.id"),
    ),
    DefaultQuery(
        "Missing children found repeatedly at the same place or with the same adult",
        "children_found_repeatedly.graphql",
        AlertPolicy(match_path="places|adults", id_field="found.id", score_field="episodes"),
    ),
    DefaultQuery(
        "Phones in contact with three or more missing children",
        "phones_contacting_missing_children.graphql",
        AlertPolicy(
            match_path="phonesContactingMissingChildren", id_field="phone.id", score_field="children"
        ),
    ),
)


def install_defaults(
    driver: Driver, database: str, owner: Principal, unit: str | None, *, schedule: str | None = "0 * * * *"
) -> list[SavedQuery]:
    """Save the defaults as ``owner``'s, shared with ``unit`` (or private when there is none)."""
    return [
        create_saved_query(
            driver, database, owner, unit, name=d.name, operation=d.operation, variables={},
            operation_name=None, sharing="UNIT" if unit else "PRIVATE", purpose=PURPOSE, schedule=schedule,
            policy=d.policy, unit=unit,
        )
        for d in DEFAULTS
    ]  # fmt: skip
