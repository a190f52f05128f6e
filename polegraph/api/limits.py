"""Limits on a GraphQL request, all checked before a resolver runs.

In the order a hostile document meets them:

1. **Tokens**: the parser stops after ``api_max_tokens`` tokens (graphql-core's own limit).
2. **Cost**: every field costs 1 (an analysis more: ``FIELD_WEIGHTS``), and its sub-selection
   costs as many times as the field can return items: ``first`` (its schema default, or the page
   size limit when it has none), ``hops``/``maxHops``, and the length of ``ids``. Fragments are
   costed once and reused, so a document that spreads fragments into each other costs what it
   would expand to, and is refused without ever being expanded. ``first`` above the page size
   is refused here too.
3. **Depth and aliases**: strawberry's validators, run one by one so that each refusal has its
   code. They walk fragments per path, which is why they run only once the cost has bounded
   the document's expansion.
4. The **standard GraphQL validation** (whose overlapping-fields rule is quadratic in the number
   of fields: another reason to run it last).
5. **Purpose**: a request that reads data must state one; ``me`` and introspection need none.
6. **Budget**: the cost is charged to the user's budget for the window; 429 when it is spent.

Clients send the same few documents again and again, with other variables: a document's parse
and the validations that depend on nothing but the document and the schema (3 and 4) are kept,
per document text, in small LRU caches (graphql-core's documents are not changed by execution).
The cost, which depends on the variables, the purpose and the budget are checked every time.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType
from strawberry.extensions import SchemaExtension, max_aliases, query_depth_limiter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from polegraph.api.context import RequestContext
from polegraph.api.errors import (
    ApiError,
    BadRequest,
    PageTooLarge,
    PurposeRequired,
    QueryTooComplex,
    QueryTooCostly,
    RateLimited,
)
from polegraph.config import Settings

#: Root fields that read no police data, so need no purpose.
PURPOSE_EXEMPT = frozenset({"__schema", "__type", "__typename", "me"})
_MULTIPLIERS = ("first", "hops", "maxHops")
#: What a field costs itself, by schema coordinate (1 when not listed): the analyses measure a
#: whole subgraph, or scan every sighting in the window, however little they return.
FIELD_WEIGHTS = {
    "Query.communications": 20,
    "Query.network": 200,
    "Query.groups": 200,
    "CoLocation.convoys": 100,
    "CoLocation.cellCoPresence": 100,
    "CoLocation.sharing": 50,
    # The intelligence units' watch lists scan every case, missing episode or call of a kind.
    "Query.closedCaseReappearances": 200,
    "Query.repeatFoundPlaces": 100,
    "Query.repeatFoundWith": 100,
    "Query.phonesContactingMissingChildren": 100,
}


@dataclass(frozen=True)
class Limits:
    """The limits of one deployment (from settings)."""

    max_tokens: int = 2000
    max_depth: int = 10
    max_aliases: int = 20
    # The same field this many times in one selection set (fragments included) is refused: the
    # standard overlapping-fields rule compares every pair of them, so 600 repeats cost seconds.
    max_repeats: int = 16
    max_page_size: int = 100
    max_cost: int = 20_000
    budget: int = 200_000
    window_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_tokens=settings.api_max_tokens, max_depth=settings.api_max_depth,
            max_aliases=settings.api_max_aliases, max_page_size=settings.api_max_page_size,
            max_cost=settings.api_max_query_cost, budget=settings.api_cost_budget,
            window_s=settings.api_cost_window_s,
        )  # fmt: skip


class CostBudget:
    """Each user's cost budget: a token bucket of ``budget`` points refilled over ``window_s``.

    It lives in one process; with several workers each holds its own share of the traffic.
    """

    def __init__(self, budget: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._rate = budget / window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def charge(self, user: str, cost: int) -> float:
        """Take ``cost`` from the user's budget and return what is left, or raise ``RateLimited``."""
        with self._lock:
            now = self._clock()
            left, stamp = self._buckets.get(user, (float(self.budget), now))
            left = min(float(self.budget), left + (now - stamp) * self._rate)
            if cost > left:
                self._buckets[user] = (left, now)
                wait = max(1, math.ceil((cost - left) / self._rate))
                raise RateLimited(
                    f"the query budget is spent for now: this query costs {cost}, {int(left)} is left",
                    retry_after_s=wait,
                    hint=f"retry after {wait} s, or ask for fewer items (first, hops)",
                )
            self._buckets[user] = (left - cost, now)
            return left - cost


@dataclass
class Estimate:
    """What the document asks for, before it runs."""

    cost: int = 0
    root_fields: frozenset[str] = frozenset()
    errors: list[GraphQLError] = field(default_factory=list)


@dataclass
class Admission:
    """What the limits found in an admitted (or refused) request, for the HTTP layer's metrics."""

    cost: int | None = None
    root_fields: frozenset[str] = frozenset()


_admission: ContextVar[Admission | None] = ContextVar("polegraph_admission", default=None)


@contextlib.contextmanager
def admission() -> Iterator[Admission]:
    """Collect what the limits find in the operation executed inside this block."""
    found = Admission()
    token = _admission.set(found)
    try:
        yield found
    finally:
        _admission.reset(token)


def select_operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs (None when the name does not pick exactly one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        named = [o for o in operations if o.name and o.name.value == operation_name]
        return named[0] if len(named) == 1 else None
    return operations[0] if len(operations) == 1 else None


class _Coster:
    """Walks one operation: cost, root field names and page size errors."""

    def __init__(
        self, schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode,
        variables: Mapping[str, Any], max_page_size: int, max_repeats: int,
    ) -> None:  # fmt: skip
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)
        self.max_page_size = max_page_size
        self.max_repeats = max_repeats
        self.errors: list[GraphQLError] = []
        self._fragment_cost: dict[str, int] = {}
        self._fragment_names: dict[str, Counter[str]] = {}
        self._in_progress: set[str] = set()

    def response_names(self, selections: SelectionSetNode, spread: set[str] | None = None) -> Counter[str]:
        """How often each response name is selected in one selection set, fragments included.

        A fragment spread twice in one set is merged once, as the validation does.
        """
        spread = set() if spread is None else spread
        names: Counter[str] = Counter()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                names[node.alias.value if node.alias else node.name.value] += 1
            elif isinstance(node, InlineFragmentNode):
                names += self.response_names(node.selection_set, spread)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in spread:
                spread.add(node.name.value)
                names += self.fragment_names(node.name.value)
        return names

    def fragment_names(self, name: str) -> Counter[str]:
        if name not in self._fragment_names:
            fragment = self.fragments.get(name)
            self._fragment_names[name] = Counter()  # a cycle reads itself as empty
            if fragment is not None:
                self._fragment_names[name] = self.response_names(fragment.selection_set, {name})
        return self._fragment_names[name]

    def check_repeats(self, selections: SelectionSetNode) -> None:
        counts = self.response_names(selections)
        if counts and max(counts.values()) > self.max_repeats:
            name, count = counts.most_common(1)[0]
            refused = QueryTooComplex(
                f"{name} is selected {count} times in one selection; at most {self.max_repeats} is allowed",
                hint="select each field once",
            )
            self.errors.append(_refusal(refused, [selections]))

    def selection_cost(self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selections is None:
            return 0
        self.check_repeats(selections)
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field_cost(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = (
                    self.schema.get_type(node.type_condition.name.value) if node.type_condition else None
                )
                total += self.selection_cost(node.selection_set, condition or parent)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment_cost(node.name.value)
        return total

    def fragment_cost(self, name: str) -> int:
        if name in self._fragment_cost:
            return self._fragment_cost[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._in_progress:
            return 0  # unknown or cyclic: the standard validation refuses it
        self._in_progress.add(name)
        cost = self.selection_cost(
            fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value)
        )
        self._in_progress.discard(name)
        self._fragment_cost[name] = cost
        return cost

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        child = get_named_type(definition.type) if definition else None
        args = {a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments or ()}
        multiplier = 1
        for name in _MULTIPLIERS:
            value = args.get(name)
            if (value is None or value is Undefined) and definition is not None and name in definition.args:
                default = definition.args[name].default_value
                fallback = self.max_page_size if name == "first" else 1
                value = fallback if default is Undefined or default is None else default
            if name == "first" and isinstance(value, int) and not 0 <= value <= self.max_page_size:
                self.errors.append(
                    GraphQLError(
                        f"first must be between 0 and {self.max_page_size} on {node.name.value} "
                        f"(got {value})",
                        [node],
                        original_error=PageTooLarge(
                            f"first must be between 0 and {self.max_page_size} (got {value})",
                            hint="page through the results with after",
                        ),
                    )
                )
            if isinstance(value, int) and value > 1:
                multiplier *= value
        ids = args.get("ids")
        if isinstance(ids, list) and ids:
            multiplier *= len(ids)
        return self.weight(node, parent) + multiplier * self.selection_cost(node.selection_set, child)

    def weight(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if parent is None:
            return 1
        owner = "Query" if parent is self.schema.query_type else parent.name
        return FIELD_WEIGHTS.get(f"{owner}.{node.name.value}", 1)

    def root_fields(self, selections: SelectionSetNode, seen: set[str] | None = None) -> set[str]:
        """The names of the fields selected at this level, fragments included (each read once)."""
        seen = set() if seen is None else seen
        names: set[str] = set()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                names.add(node.name.value)
            elif isinstance(node, InlineFragmentNode):
                names |= self.root_fields(node.selection_set, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    names |= self.root_fields(fragment.selection_set, seen)
        return names


def estimate(
    schema: GraphQLSchema, document: Any, operation_name: str | None,
    variables: Mapping[str, Any] | None, limits: Limits,
) -> Estimate:  # fmt: skip
    """The cost, root fields and shape errors (page size, repeats) of the operation a request runs."""
    operation = select_operation(document, operation_name)
    if operation is None:
        # Nothing may run that was not costed.
        refused = BadRequest(
            "the document does not say which one operation to run",
            hint="name one of its operations in operationName",
        )
        return Estimate(errors=[_refusal(refused)])
    coster = _Coster(schema, document, operation, variables or {}, limits.max_page_size, limits.max_repeats)
    root = schema.get_root_type(operation.operation)
    cost = coster.selection_cost(operation.selection_set, root)
    return Estimate(cost, frozenset(coster.root_fields(operation.selection_set)), coster.errors)


def _refusal(exc: ApiError, nodes: Any = None) -> GraphQLError:
    return GraphQLError(exc.message, nodes, original_error=exc)


_CACHED_DOCUMENTS = 512


@functools.lru_cache(maxsize=_CACHED_DOCUMENTS)
def _parsed(query: str, max_tokens: int) -> DocumentNode:
    """The document of ``query`` (a syntax error is raised each time, never cached)."""
    return parse(query, max_tokens=max_tokens)


@functools.lru_cache(maxsize=_CACHED_DOCUMENTS)
def _validation(
    schema: GraphQLSchema, query: str, max_tokens: int, depth_rules: tuple[type[ValidationRule], ...],
    rules: tuple[type[ValidationRule], ...],
) -> tuple[GraphQLError, ...]:  # fmt: skip
    """The depth and alias refusal, or else the standard validation's errors, of a document."""
    document = _parsed(query, max_tokens)
    for rule in depth_rules:
        errors = validate(schema, document, [rule], max_errors=1)
        if errors:
            return (_refusal(QueryTooComplex(errors[0].message), errors[0].nodes),)
    return tuple(validate(schema, document, rules))


@functools.cache
def _limit_rules(depth: int, aliases: int) -> tuple[type[ValidationRule], ...]:
    """The depth and alias validators (made once: they key the validation cache)."""
    return (
        query_depth_limiter.create_validator(depth, None, None),
        max_aliases.create_validator(aliases),
    )


class RequestLimits(SchemaExtension):
    """The strawberry extension that applies ``Limits`` and the budget to every operation."""

    def __init__(self, *, limits: Limits, budget: CostBudget) -> None:
        self.limits = limits
        self.budget = budget
        self.cost: int | None = None
        self._rules = _limit_rules(limits.max_depth, limits.max_aliases)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = _parsed(context.query, self.limits.max_tokens)
            except GraphQLSyntaxError as exc:
                # graphql-core says so only in its message; other syntax errors are left to
                # strawberry's own parse, which reports them with their location.
                if "Parsing aborted" in exc.message:
                    raise _refusal(
                        QueryTooComplex(
                            f"the document has more than {self.limits.max_tokens} tokens",
                            hint="send a smaller query",
                        )
                    ) from None
        yield

    def on_validate(self) -> Iterator[None]:
        # Setting pre_execution_errors (even to []) stands in for strawberry's own validation run.
        self.execution_context.pre_execution_errors = self._check()
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}

    def _check(self) -> list[GraphQLError]:
        context = self.execution_context
        schema = context.schema._schema
        document = context.graphql_document
        assert document is not None
        found = estimate(schema, document, context.operation_name, context.variables, self.limits)
        seen = _admission.get()
        if seen is not None:
            seen.root_fields = found.root_fields
        if found.errors:
            return found.errors
        if found.cost > self.limits.max_cost:
            return [
                _refusal(
                    QueryTooCostly(
                        f"the query would cost {found.cost}; at most {self.limits.max_cost} is allowed",
                        hint="ask for fewer items (first, hops, maxHops) or fewer fields",
                    )
                )
            ]
        assert context.query is not None  # the document was parsed from it (on_parse)
        # Strawberry's own validation adds these two rules to the standard ones; so does this one.
        rules = (*context.validation_rules, MaybeNullValidationRule, OneOfInputValidationRule)
        errors = list(_validation(schema, context.query, self.limits.max_tokens, self._rules, rules))
        if errors:
            return errors
        request = context.context
        assert isinstance(request, RequestContext)
        if not request.purpose.strip() and not found.root_fields <= PURPOSE_EXEMPT:
            return [
                _refusal(
                    PurposeRequired(
                        "this request reads data, so it must state its purpose",
                        hint="send an X-Purpose header (or extensions.purpose) naming the case or "
                        "operation, e.g. 'OP TRIDENT 24/1187'",
                    )
                )
            ]
        try:
            self.budget.charge(request.principal.user, found.cost)
        except RateLimited as exc:
            return [_refusal(exc)]
        self.cost = found.cost
        if seen is not None:
            seen.cost = found.cost
        return []
