"""Compute API microversions: 2.1 up to MAX_VERSION.

Clients ask with ``OpenStack-API-Version: compute 2.x`` or the legacy
``X-OpenStack-Nova-API-Version: 2.x`` ('latest' means MAX_VERSION); no
header means 2.1. Every response says which version it used.
"""
from iaas.api.microversion import Microversions, fmt  # noqa: F401

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)

VERSIONS = Microversions('compute', MIN_VERSION, MAX_VERSION,
                         legacy_header='X-OpenStack-Nova-API-Version')
parse = VERSIONS.parse
middleware = VERSIONS.middleware
version = VERSIONS.version
headers = VERSIONS.headers
