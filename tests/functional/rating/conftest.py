"""The compute services' fixtures (tests/functional/compute/conftest.py)
for the enforcement test."""
from tests.functional.compute.conftest import (  # noqa: F401  (fixtures)
    compute_services,
    ctx,
    flavor,
    image,
)
