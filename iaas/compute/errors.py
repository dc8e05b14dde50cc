"""The compute API's refusals and its policy checks (shared by
:mod:`iaas.compute.api` and its workflow modules, e.g. :mod:`iaas.compute.shelve`;
:mod:`iaas.compute.api` exports the same names)."""
from iaas.exception import ServiceError
from iaas.identity import policy


class ComputeError(ServiceError):
    """A request the compute API refuses; ``code`` is its HTTP status."""


class NotFound(ComputeError):
    code = 404


class Conflict(ComputeError):
    code = 409


class Forbidden(ComputeError):
    code = 403


def allowed(ctx, rule, target):
    """Whether ``ctx`` passes the policy ``rule`` on ``target``."""
    return policy.check(ctx, rule, target)


def enforce(ctx, rule, target):
    if not allowed(ctx, rule, target):
        raise Forbidden(f'Policy does not allow {rule} to be performed.')


def owner_of(row):
    """The policy target of a resource: its project (and user)."""
    return {'project_id': row['project_id'], 'user_id': row.get('user_id')}
