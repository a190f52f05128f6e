"""The Fellegi-Sunter model: comparisons, blocking rules, prior parameters, training and scoring.

Everything here is backend-neutral Splink: comparisons are Splink's level library or plain SQL
(``=``, ``AND``, ``<>``), blocking rules are ``CustomRule``s, and the database is whatever
``DatabaseAPI`` the caller passes (``DuckDBAPI`` on one machine, ``SparkAPI`` at national scale).

Every level carries a prior m and u probability, so a small graph (a test, a new force) is scored
by a sensible model before there is enough data to train one; with enough persons the u values
are estimated by random sampling and the m values by expectation maximisation, and analysts'
SAME decisions, when there are enough of them, fix m from labelled pairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import splink.comparison_level_library as cll
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.comparison_library import CustomComparison
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.database_api import DatabaseAPI
from splink.internals.splink_dataframe import SplinkDataFrame

from polegraph.linking.features import FEATURE_COLUMNS, LIST_COLUMNS

MODEL_FAMILY = "polegraph-fs/1"
MIN_PERSONS_TO_TRAIN = 2000
MIN_LABELS_TO_FIX_M = 30
# Applied before anything is trained: about one true pair in ten thousand candidate pairs.
PRIOR_MATCH_PROBABILITY = 1e-4

_STRING = pa.string()
_LIST = pa.list_(pa.string())
SCHEMA = pa.schema(
    [
        (
            name,
            pa.bool_()
            if name in ("is_new", "dob_partial", "dob_jan1")
            else pa.int32()
            if name == "dob_year"
            else _STRING,
        )
        if name not in LIST_COLUMNS
        else (name, _LIST)
        for name in FEATURE_COLUMNS
    ]
)


@dataclass(frozen=True)
class Level:
    """One comparison level: its label, the Splink level, prior m and u, and the TF column."""

    label: str
    creator: Any
    m: float
    u: float
    tf: str | None = None


@dataclass(frozen=True)
class Comparison:
    """A comparison: its name, the columns shown in an explanation, and its levels (null first)."""

    name: str
    shown: tuple[str, ...]
    null_column: str
    levels: tuple[Level, ...]
    # Identifiers are too sparse for EM to estimate m (it drives rare levels to zero): the prior stays.
    fixed_m: bool = False

    def creator(self) -> CustomComparison:
        levels: list[ComparisonLevelCreator | dict[str, Any]] = [cll.NullLevel(self.null_column)]
        for level in self.levels:
            options: dict[str, Any] = {
                "m_probability": level.m,
                "u_probability": level.u,
                "label_for_charts": level.label,
            }
            if level.tf:
                options["tf_adjustment_column"] = level.tf
            if self.fixed_m:
                options["fix_m_probability"] = True
            levels.append(level.creator.configure(**options))
        return CustomComparison(levels, output_column_name=self.name)

    def label(self, gamma: int) -> str:
        """The label of the level Splink numbered ``gamma`` (-1 null, 0 the last, else counting down)."""
        if gamma < 0:
            return "missing"
        return self.levels[len(self.levels) - 1 - gamma].label


def _sql(condition: str) -> Any:
    return cll.CustomLevel(condition)


_SAME_YEAR = "dob_year_l = dob_year_r"
_PARTIAL = "(dob_partial_l OR dob_partial_r)"
_JAN1 = "(dob_jan1_l OR dob_jan1_r)"


def _else() -> Any:
    return cll.ElseLevel()


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("forename", ("forename_folded",), "forename_v", (
        Level("same name or variant", _sql("forename_v_l = forename_v_r"), 0.62, 0.01, "forename_v"),
        Level("variants of one name", cll.ArrayIntersectLevel("forename_keys", 1), 0.05, 0.002),
        Level("a forename in common", cll.ArrayIntersectLevel("forename_vs", 1), 0.08, 0.004),
        Level("swapped with surname", _sql("forename_v_l = surname_v_r"), 0.04, 0.0005),
        Level("close spelling", cll.JaroWinklerLevel("forename_folded", 0.9), 0.12, 0.004),
        Level("one letter off", cll.DamerauLevenshteinLevel("forename_folded", 1), 0.02, 0.002),
        Level("a misspelt variant", cll.ArrayIntersectLevel("forename_near", 1), 0.02, 0.001),
        Level("sounds alike", _sql("forename_ph_l = forename_ph_r"), 0.04, 0.01),
        Level("same initial", _sql("forename_initial_l = forename_initial_r"), 0.04, 0.06),
        Level("different", _else(), 0.02, 0.91),
    )),
    Comparison("surname", ("surname_folded",), "surname_v", (
        Level("same name or variant", _sql("surname_v_l = surname_v_r"), 0.78, 0.004, "surname_v"),
        Level("variants of one name", cll.ArrayIntersectLevel("surname_keys", 1), 0.02, 0.0005),
        Level("swapped with forename", _sql("surname_v_l = forename_v_r"), 0.04, 0.0005),
        Level("close spelling", cll.JaroWinklerLevel("surname_folded", 0.9), 0.08, 0.003),
        Level("one letter off", cll.DamerauLevenshteinLevel("surname_folded", 1), 0.03, 0.002),
        Level("a misspelt variant", cll.ArrayIntersectLevel("surname_near", 1), 0.01, 0.0005),
        Level("two letters off", cll.DamerauLevenshteinLevel("surname_folded", 2), 0.01, 0.003),
        Level("sounds alike", _sql("surname_ph_l = surname_ph_r"), 0.01, 0.004),
        Level("different", _else(), 0.02, 0.9825),
    )),
    Comparison("dob", ("dob",), "dob", (
        Level("same date", _sql("dob_l = dob_r AND NOT dob_partial_l AND NOT dob_partial_r"), 0.72, 0.0001),
        Level("day and month swapped", _sql("dob_l = dob_swapped_r"), 0.03, 0.00005),
        Level("partial date, same year", _sql(f"{_PARTIAL} AND {_SAME_YEAR}"), 0.09, 0.01),
        Level("same year, one is 1 January", _sql(f"{_JAN1} AND {_SAME_YEAR}"), 0.05, 0.0005),
        Level("same day and month, year differs", _sql("dob_md_l = dob_md_r"), 0.03, 0.0025),
        Level("same year, another date", _sql(_SAME_YEAR), 0.01, 0.016),
        Level("different", _else(), 0.07, 0.97085),
    )),
    Comparison("postcode", ("postcodes",), "postcodes", (
        Level("same postcode", cll.ArrayIntersectLevel("postcodes", 1), 0.45, 0.0005),
        Level("same sector", cll.ArrayIntersectLevel("sectors", 1), 0.10, 0.004),
        Level("same district", cll.ArrayIntersectLevel("districts", 1), 0.10, 0.02),
        Level("different", _else(), 0.35, 0.9755),
    )),
    Comparison("phone", ("phones",), "phones", (
        Level("a phone in common", cll.ArrayIntersectLevel("phones", 1), 0.5, 0.0005),
        Level("different", _else(), 0.5, 0.9995),
    )),
    Comparison("email", ("emails",), "emails", (
        Level("an e-mail in common", cll.ArrayIntersectLevel("emails", 1), 0.6, 0.0001),
        Level("different", _else(), 0.4, 0.9999),
    ), fixed_m=True),
    Comparison("pnc_id", ("pnc_id",), "pnc_id", (
        Level("same PNC ID", _sql("pnc_id_l = pnc_id_r"), 0.95, 0.00001),
        Level("different PNC ID", _else(), 0.05, 0.99999),
    ), fixed_m=True),
    Comparison("cro", ("cro",), "cro", (
        Level("same CRO number", _sql("cro_l = cro_r"), 0.95, 0.00001),
        Level("different CRO number", _else(), 0.05, 0.99999),
    ), fixed_m=True),
    Comparison("nino", ("nino",), "nino", (
        Level("same NI number", _sql("nino_l = nino_r"), 0.95, 0.00001),
        Level("different NI number", _else(), 0.05, 0.99999),
    ), fixed_m=True),
    Comparison("sex", ("sex",), "sex", (
        Level("same", _sql("sex_l = sex_r"), 0.97, 0.5),
        Level("different", _else(), 0.03, 0.5),
    )),
)  # fmt: skip

# Candidate pairs: any one rule suffices. Each is an equality join (cheap on any backend).
_BLOCKING = (
    ("l.surname_v = r.surname_v AND l.forename_v = r.forename_v", None),
    # Any variant key of the surname (of its words, too): MIRZA meets ABDUL MIRZA, McDONALD MacDONALD.
    ("l.surname_keys = r.surname_keys AND l.dob_year = r.dob_year", ["surname_keys"]),
    ("l.forename_v = r.forename_v AND l.dob = r.dob", None),
    ("l.dob = r.dob AND l.dob_md = r.dob_md", None),
    ("l.postcodes = r.postcodes AND l.forename_initial = r.forename_initial", ["postcodes"]),
    # Bertie and Robert at one address: a variant need not share the initial.
    ("l.postcodes = r.postcodes AND l.surname_v = r.surname_v", ["postcodes"]),
    ("l.surname_ph = r.surname_ph AND l.dob_year = r.dob_year", None),
    # A misspelt surname and a birth date that is partial, swapped or defaulted: only the forename,
    # the birth year and the surname's first letter (which keying errors rarely touch) are left.
    (
        "l.forename_v = r.forename_v AND l.dob_year = r.dob_year AND l.surname_initial = r.surname_initial",
        None,
    ),
    ("l.surname_v = r.forename_v AND l.forename_v = r.surname_v", None),
    ("l.pnc_id = r.pnc_id", None),
    ("l.cro = r.cro", None),
    ("l.nino = r.nino", None),
    ("l.phones = r.phones", ["phones"]),
    ("l.emails = r.emails", ["emails"]),
)
# Two nominals of one source record are two people (a victim and a suspect of one crime).
_DIFFERENT_RECORDS = "l.source_key <> r.source_key"
# Incremental runs compare only pairs with at least one new person.
_ONE_NEW = "(l.is_new OR r.is_new)"


def blocking_rules(*, incremental: bool) -> list[BlockingRuleCreator | dict[str, Any]]:
    """The candidate-pair rules; ``incremental`` keeps only pairs that involve a new person."""
    extra = f" AND {_DIFFERENT_RECORDS}" + (f" AND {_ONE_NEW}" if incremental else "")
    return [CustomRule(f"({rule}){extra}", arrays_to_explode=explode) for rule, explode in _BLOCKING]


def settings(*, incremental: bool = False) -> SettingsCreator:
    """The untrained model: the comparisons with their prior parameters and the blocking rules."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[c.creator() for c in COMPARISONS],
        blocking_rules_to_generate_predictions=blocking_rules(incremental=incremental),
        probability_two_random_records_match=PRIOR_MATCH_PROBABILITY,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["force"],
    )


def model_version(model: dict[str, Any]) -> str:
    """A short name of a model: its family and a hash of its parameters."""
    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:12]
    return f"{MODEL_FAMILY}:{digest}"


def make_linker(
    db_api: DatabaseAPI[Any],
    rows: Sequence[dict[str, Any]],
    model: dict[str, Any] | None,
    *,
    incremental: bool,
) -> Linker:
    """A linker over ``rows`` (``features.feature_row``), with ``model`` or the prior one."""
    table = db_api.register(pa.Table.from_pylist(list(rows), schema=SCHEMA))
    if model is None:
        return Linker(table, settings(incremental=incremental), log_level=logging.ERROR)
    # A saved model keeps its parameters; the candidate rules depend on the run (full or incremental).
    return Linker(
        table,
        {**model, "blocking_rules_to_generate_predictions": blocking_rules(incremental=incremental)},
        log_level=logging.ERROR,
    )


def train(
    db_api: DatabaseAPI[Any], linker: Linker, persons: int, labels: Sequence[tuple[str, str]] = ()
) -> bool:
    """Estimate the parameters from the data when there is enough of it; True when trained.

    u from random pairs (almost all non-matches); m by expectation maximisation in two sessions,
    each blocked on what the other estimates; the match prior from pairs that agree on a strong
    identifier or on full name and date of birth. Analysts' SAME decisions then fix m.
    """
    if persons < MIN_PERSONS_TO_TRAIN:
        return False
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("pnc_id"), block_on("name_fp", "dob")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=min(5e6, 50.0 * persons), seed=1)
    training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    training.estimate_parameters_using_expectation_maximisation(
        block_on("surname_v", "forename_v"), estimate_without_term_frequencies=True
    )
    if len(labels) >= MIN_LABELS_TO_FIX_M:
        pairs = [
            {"unique_id_l": a, "unique_id_r": b, "source_dataset_l": "persons", "source_dataset_r": "persons"}
            for a, b in labels
        ]
        table = db_api.register(pa.Table.from_pylist(pairs))
        training.estimate_m_from_pairwise_labels(table.physical_name)  # type: ignore[no-untyped-call]
    return True


# Comparisons that are about the name: however well they agree, they alone never accept a link.
NAME_COMPARISONS = frozenset({"forename", "surname"})


def beyond_names(explanation: dict[str, dict[str, Any]]) -> bool:
    """True when something other than the name agrees (date of birth, phone, place, identifier)."""
    return any(
        c["agrees"] and c["weight"] > 0
        for name, c in explanation.items()
        if name not in NAME_COMPARISONS | {"sex"}
    )


@dataclass(frozen=True)
class ScoredPair:
    """A candidate pair as the model scored it, with the per-comparison explanation."""

    uid_a: str
    uid_b: str
    probability: float
    match_weight: float
    explanation: dict[str, dict[str, Any]]


def _explain(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    explanation: dict[str, dict[str, Any]] = {}
    for comparison in COMPARISONS:
        gamma = int(row[f"gamma_{comparison.name}"])
        if gamma < 0:
            continue  # missing on one side: no evidence either way
        weight = float(row[f"mw_{comparison.name}"]) + float(row.get(f"mw_tf_adj_{comparison.name}") or 0.0)
        explanation[comparison.name] = {
            "level": comparison.label(gamma),
            "agrees": gamma > 0,
            "weight": round(weight, 3),
            "values": [[row.get(f"{col}_l"), row.get(f"{col}_r")] for col in comparison.shown],
        }
    return explanation


def predict(linker: Linker, threshold: float) -> Iterable[ScoredPair]:
    """Score every candidate pair; yield those at or above ``threshold`` probability."""
    result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    for row in result.as_record_list():
        a, b = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
        yield ScoredPair(a, b, float(row["match_probability"]), float(row["match_weight"]), _explain(row))


def block(db_api: DatabaseAPI[Any], linker: Linker) -> int:
    """Form the candidate pairs (kept for ``predict``) and count them: the pairs a run compares."""
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    # The table name is Splink's own, never a request's.
    counted = db_api.query_sql(f"SELECT count(*) AS n FROM {blocked.physical_name}")  # noqa: S608
    assert isinstance(counted, SplinkDataFrame)  # the default output type
    return int(counted.as_record_list()[0]["n"])


def saved_model(linker: Linker) -> dict[str, Any]:
    """The model's settings and parameters as JSON-ready data (kept on the job record)."""
    return dict(linker.misc.save_model_to_json())
