"""Neutron-v2.0-compatible network API (subset)."""
