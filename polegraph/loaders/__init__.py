"""Loaders: one module per source format, plus the generic YAML mapping loader; they produce plain records, no engine I/O."""
