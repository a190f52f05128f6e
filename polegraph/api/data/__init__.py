"""The data fields of the GraphQL API: nodes, search, profiles, the network, analysis, linking and
saved queries, under the policy.

``QUERIES`` are the query types (``DataQuery``, ``AnalyticsQuery``, ``LinkingQuery``,
``SavedQueryQuery``, ``ExploitationQuery``), ``MUTATIONS`` the mutation types, ``SUBSCRIPTIONS``
the subscription types; ``TYPES`` are the concrete node types the schema must register (they are
reached only through the ``Node`` interface):

    build_schema(*QUERIES, types=TYPES, mutations=MUTATIONS, subscriptions=SUBSCRIPTIONS)
"""

from polegraph.api.data.analytics import AnalyticsQuery
from polegraph.api.data.entities import NODE_CLASSES
from polegraph.api.data.exploitation import ExploitationQuery
from polegraph.api.data.linking import LinkingMutation, LinkingQuery
from polegraph.api.data.query import DataQuery
from polegraph.api.data.saved import SavedQueryMutation, SavedQueryQuery, SavedQuerySubscription

TYPES = NODE_CLASSES
QUERIES = (DataQuery, AnalyticsQuery, LinkingQuery, SavedQueryQuery, ExploitationQuery)
MUTATIONS = (LinkingMutation, SavedQueryMutation)
SUBSCRIPTIONS = (SavedQuerySubscription,)

__all__ = [
    "MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "AnalyticsQuery", "DataQuery", "ExploitationQuery",
    "LinkingMutation",
    "LinkingQuery", "SavedQueryMutation", "SavedQueryQuery", "SavedQuerySubscription",
]  # fmt: skip
