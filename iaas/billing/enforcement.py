"""Budget enforcement where resources are made: the compute, volume, image
and network APIs call :func:`check` before they create a server, volume,
snapshot, backup, image or floating IP. A project over its enforced budget
(the budget check fired its 100 % alert this month, see
:mod:`iaas.billing.budgets`) gets a 403 with a clear message; what it
already runs is untouched.

The answer is cached per project for ``[billing] enforcement_cache``
seconds, so a create costs at most one budget lookup per project and
period of the cache (and nothing for a project without a budget once
cached).
"""
import threading
import time

from iaas.billing import budgets
from iaas.conf import CONF
from iaas.exception import BudgetExceeded

_cache = {}
_lock = threading.Lock()


def over(project_id):
    """Whether new resources of ``project_id`` are refused (cached)."""
    ttl = CONF.billing.enforcement_cache
    now = time.monotonic()
    with _lock:
        hit = _cache.get(project_id)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = budgets.over_budget(project_id)
    with _lock:
        if len(_cache) > 100_000:
            _cache.clear()
        _cache[project_id] = (now, value)
    return value


def check(project_id, what='resources'):
    """Raise BudgetExceeded when ``project_id`` may not make new ``what``."""
    if project_id and over(project_id):
        raise BudgetExceeded(f'Project {project_id} reached 100 % of its monthly budget, '
                             f'which is enforced: new {what} are refused until the budget '
                             'is raised or the month ends. Running resources are not '
                             'affected.')


def reset():
    with _lock:
        _cache.clear()
