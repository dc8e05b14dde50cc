"""Import every model module so ``Base.metadata`` holds all tables.

Alembic's env.py and the tests import this; a new model module adds a line.
"""
from iaas.db import (
    app_credentials,  # noqa: F401
    billing_models,  # noqa: F401
    ec2_models,  # noqa: F401
    identity_models,  # noqa: F401
    image_models,  # noqa: F401
    models,  # noqa: F401
    network_models,  # noqa: F401
    volume_models,  # noqa: F401
)
from iaas.db.base import Base

metadata = Base.metadata
