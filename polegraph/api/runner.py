"""The API's ``OperationRunner``: a saved query's operation run the way an HTTP request is.

The same schema (so the same limits: tokens, cost, depth, aliases, validation, purpose, the
owner's cost budget), a ``RequestContext`` for the owner's current principal, and an audit
record in the same hash-chained log before the result is used, with the saved query's purpose.
Only queries run: a saved operation never mutates. ``check_operation`` applies the same checks
when a query is saved, so that what is saved can run.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import strawberry
from elasticsearch import Elasticsearch
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse, validate
from graphql import OperationType as AstOperationType
from graphql.execution.values import get_variable_values
from graphql.validation import specified_rules
from neo4j import Driver
from strawberry.extensions import max_aliases, query_depth_limiter
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from polegraph.api.context import RequestContext
from polegraph.api.limits import Limits, admission, estimate, select_operation
from polegraph.config import Settings
from polegraph.queries.runner import OperationResult
from polegraph.queries.store import SavedQueryInvalid
from polegraph.security.audit import AuditLog, principal_fields
from polegraph.security.policy import Principal

#: What the audit record names as the client of a saved query's run.
CLIENT = "polegraph saved-query runner"


class ApiOperationRunner:
    """Executes operations through ``schema`` and writes their audit records to ``audit``."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        driver: Driver,
        es: Elasticsearch,
        audit: AuditLog,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.driver = driver
        self.es = es
        self.audit = audit

    async def execute(
        self, principal: Principal, purpose: str, operation: str, variables: dict[str, Any],
        operation_name: str | None,
    ) -> OperationResult:  # fmt: skip
        started = time.perf_counter()
        request_id = f"saved-{uuid.uuid4().hex}"
        context = RequestContext(
            principal=principal, purpose=purpose, settings=self.settings, driver=self.driver, es=self.es,
            request_id=request_id,
        )  # fmt: skip
        with admission():
            result = await self.schema.execute(
                operation, variable_values=variables, context_value=context, operation_name=operation_name,
                allowed_operation_types=(OperationType.QUERY,),
            )  # fmt: skip
        errors = [e.message for e in result.errors or []]
        if isinstance(result, PreExecutionError) or result.data is None:
            outcome = "refused" if isinstance(result, PreExecutionError) else "error"
        else:
            outcome = "partial" if errors else "ok"
        record = audit_record(
            context, operation, operation_name, variables, outcome=outcome,
            error=errors[0] if errors else None, started=started, client=CLIENT,
        )  # fmt: skip
        # The record is written before the result is used (alerts raised), as for an HTTP answer;
        # a run whose record cannot be written fails with it.
        await asyncio.to_thread(self.audit.append, record)
        return OperationResult(data=result.data, errors=errors)


def audit_record(
    context: RequestContext, query: str, operation_name: str | None, variables: dict[str, Any] | None, *,
    outcome: str, error: str | None, started: float, client: str,
) -> dict[str, Any]:  # fmt: skip
    """The audit record of an operation run outside an HTTP request (a saved query's run, a
    subscription's event), with the fields the HTTP layer writes; the IDs returned since the last
    record are taken from the context.
    """
    returned = list(dict.fromkeys(context.returned_ids))
    context.returned_ids.clear()
    record: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "request_id": context.request_id,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        **principal_fields(context.principal),
        "purpose": context.purpose or None,
        "query": query,
        "operation": hashlib.sha256(query.encode()).hexdigest(),
        "operation_name": operation_name,
        "variables": variables,
        "returned_ids": returned,
        "returned_count": len(returned),
        "outcome": outcome,
        "error": error,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "client": client,
    }
    return {k: v for k, v in record.items() if v is not None}


def check_operation(
    schema: strawberry.Schema, limits: Limits, operation: str, operation_name: str | None,
    variables: dict[str, Any],
) -> None:  # fmt: skip
    """Refuse (``SavedQueryInvalid``) an operation a request could not run as it stands."""
    try:
        document = parse(operation, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as exc:
        raise SavedQueryInvalid(f"the operation does not parse: {exc.message}") from None
    chosen = select_operation(document, operation_name)
    if not isinstance(chosen, OperationDefinitionNode) or chosen.operation is not AstOperationType.QUERY:
        raise SavedQueryInvalid(
            "a saved query is one query operation", hint="name it in operationName; mutations are not saved"
        )
    graphql_schema = schema._schema
    found = estimate(graphql_schema, document, operation_name, variables, limits)
    if found.errors:
        raise SavedQueryInvalid(f"the operation is refused: {found.errors[0].message}")
    if found.cost > limits.max_cost:
        raise SavedQueryInvalid(
            f"the operation would cost {found.cost}; at most {limits.max_cost} is allowed"
        )
    rules = [
        *specified_rules,
        query_depth_limiter.create_validator(limits.max_depth, None, None),
        max_aliases.create_validator(limits.max_aliases),
    ]
    errors: list[GraphQLError] = validate(graphql_schema, document, rules)
    if errors:
        raise SavedQueryInvalid(f"the operation is not valid here: {errors[0].message}")
    coerced = get_variable_values(graphql_schema, chosen.variable_definitions or (), variables)
    if isinstance(coerced, list):
        raise SavedQueryInvalid(f"the variables do not fit the operation: {coerced[0].message}")
