"""The local engines: a real Neo4j and a real Elasticsearch from Maven Central, without Docker.

``polegraph stack up`` resolves the jars and the Elasticsearch distribution with Maven (the pom in
the repository's ``stack/`` folder), then starts each engine as a detached process with its data,
logs and downloads under one state directory. See ``neo4j.py`` and ``elasticsearch.py``.
"""

from polegraph.stack.manager import EngineStatus, side_stack, stack_down, stack_status, stack_up

__all__ = ["EngineStatus", "side_stack", "stack_down", "stack_status", "stack_up"]
