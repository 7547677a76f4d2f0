"""Safehold: a self-hosted, zero-knowledge password manager."""

__version__ = "0.1.0"
