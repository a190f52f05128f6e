"""Imports every loader module so that each registers its format (see ``base.register``)."""
# ruff: noqa: F401 -- each import is there for its side effect (the loader registers itself)

import polegraph.loaders.anpr
import polegraph.loaders.cdr
import polegraph.loaders.crime
import polegraph.loaders.custody
import polegraph.loaders.intel
import polegraph.loaders.mapping
import polegraph.loaders.missing
import polegraph.loaders.police_uk
import polegraph.loaders.ufdr
import polegraph.loaders.xry
