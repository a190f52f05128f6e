"""The investigators' API: starlette app, GraphQL schema, authentication and limits."""
