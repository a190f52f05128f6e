"""The POLE ontology as data (YAML), and the Neo4j and Elasticsearch schemas generated from it."""

from polegraph.schema.elasticsearch import es_indices
from polegraph.schema.errors import SchemaError, UnknownSchemaName
from polegraph.schema.model import EntityType, Ontology, PropertySpec, RelationshipType
from polegraph.schema.neo4j import neo4j_statements
from polegraph.schema.ontology import load_ontology, read_ontology

__all__ = [
    "EntityType",
    "Ontology",
    "PropertySpec",
    "RelationshipType",
    "SchemaError",
    "UnknownSchemaName",
    "es_indices",
    "load_ontology",
    "neo4j_statements",
    "read_ontology",
]
