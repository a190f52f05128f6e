"""Loaders: one module per source format and a generic YAML mapping loader; plain records, no engine I/O."""
