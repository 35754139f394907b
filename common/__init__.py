"""Shared foundations: settings, database engine, artifact manifests, the base error.

Imports nothing else of Keepcart's, so every other package may depend on it.
"""
