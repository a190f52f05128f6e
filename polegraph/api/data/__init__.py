"""The data fields of the GraphQL API: nodes, search, profiles and the network, under the policy.

``DataQuery`` holds the fields; ``TYPES`` are the concrete node types the schema must register
(they are reached only through the ``Node`` interface):

    strawberry.Schema(query=DataQuery, types=TYPES)
"""

from strawberry.tools import merge_types

from polegraph.api.data.analytics import AnalyticsQuery
from polegraph.api.data.entities import NODE_CLASSES
from polegraph.api.data.query import DataQuery as _DataFields

DataQuery = merge_types("DataQuery", (_DataFields, AnalyticsQuery))

TYPES = NODE_CLASSES

__all__ = ["TYPES", "DataQuery"]
