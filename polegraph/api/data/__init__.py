"""The data fields of the GraphQL API: nodes, search, profiles, the network, analysis and linking,
under the policy.

``QUERIES`` are the query types (``DataQuery``, ``AnalyticsQuery``, ``LinkingQuery``),
``MUTATIONS`` the mutation types; ``TYPES`` are the concrete node types the schema must register
(they are reached only through the ``Node`` interface):

    build_schema(*QUERIES, types=TYPES, mutations=MUTATIONS)
"""

from polegraph.api.data.analytics import AnalyticsQuery
from polegraph.api.data.entities import NODE_CLASSES
from polegraph.api.data.linking import LinkingMutation, LinkingQuery
from polegraph.api.data.query import DataQuery

TYPES = NODE_CLASSES
QUERIES = (DataQuery, AnalyticsQuery, LinkingQuery)
MUTATIONS = (LinkingMutation,)

__all__ = ["MUTATIONS", "QUERIES", "TYPES", "AnalyticsQuery", "DataQuery", "LinkingMutation", "LinkingQuery"]
