"""Analyses over the graph, each a plain function of a principal: communications, co-location, networks.

Every function reads through ``polegraph.graph`` under the principal's permissions and returns
dataclasses, so that the API (and the command line) can wrap them without knowing how they work.
"""
