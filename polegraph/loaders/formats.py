"""Imports every loader module so that each registers its format (see ``base.register``)."""
