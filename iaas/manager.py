"""Base class of RPC endpoints (managers) with periodic tasks.

A manager exposes RPC methods with ``@rpc.expose`` and background work with
``@periodic_task(spacing=…)``; :class:`iaas.service.Service` runs both.
"""
import contextvars
import logging
import time

from iaas import rpc
from iaas.context import get_admin_context

LOG = logging.getLogger(__name__)


def periodic_task(spacing, run_immediately=False):
    """Run the decorated ``method(self, context)`` every ``spacing`` seconds.

    ``spacing`` may be a number or a callable returning one (read from
    config when the task is scheduled).
    """
    def deco(func):
        func._periodic_spacing = spacing
        func._periodic_immediate = run_immediately
        return func
    return deco


class Manager:
    """Subclasses set ``service_name`` and implement their RPC methods."""

    service_name = 'base'
    # periodic tasks a process serving many hosts runs for all of them at
    # once instead (iaas/compute/multihost.py sets it per manager)
    batched_tasks = frozenset()

    def __init__(self, host):
        self.host = host
        self._next_run = {}

    @rpc.expose
    def ping(self, context):
        """Liveness over the bus: answers with who served the call."""
        return {'service': self.service_name, 'host': self.host}

    def init_host(self):
        """Called once before the RPC server starts consuming."""

    def _run(self, func, *args):
        """Run an operation in the manager's pool (``self._pool``, made by
        subclasses that run long operations); the RPC worker is free at
        once, and a failure is logged with its traceback."""
        def wrapped():
            try:
                func(*args)
            except Exception:
                LOG.exception('%s failed', func.__name__)
        # in the caller's context: the operation logs the request's id
        return self._pool.submit(contextvars.copy_context().run, wrapped)

    def cleanup_host(self):
        """Called once after the RPC server stopped."""

    def periodic_tasks_list(self):
        out = []
        for name in dir(type(self)):
            func = getattr(type(self), name, None)
            if callable(func) and hasattr(func, '_periodic_spacing') and \
                    name not in self.batched_tasks:
                out.append((name, func))
        return out

    def run_periodic_tasks(self, context=None, now=None):
        """Run the tasks that are due; return seconds until the next one."""
        context = context or get_admin_context()
        now = time.monotonic() if now is None else now
        idle = 60.0
        for name, func in self.periodic_tasks_list():
            spacing = func._periodic_spacing
            spacing = spacing() if callable(spacing) else spacing
            due = self._next_run.get(name)
            if due is None:
                due = now if func._periodic_immediate else now + spacing
                self._next_run[name] = due
            if now >= due:
                try:
                    getattr(self, name)(context)
                except Exception:
                    LOG.exception('periodic task %s failed', name)
                self._next_run[name] = due = now + spacing
            idle = min(idle, max(0.0, due - now))
        return idle
