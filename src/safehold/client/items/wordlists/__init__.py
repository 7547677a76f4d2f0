"""Bundled word lists (data only; a package so that setuptools ships the files in it)."""
