"""Keystone-v3-compatible identity API, served by iaas-api on [api] identity_port (the identity logic it calls is iaas.identity)."""
