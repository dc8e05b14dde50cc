"""``--wait``: poll a server (or a snapshot image) until it settles, printing
each status / task-state change on its own line on stderr, with a deadline."""
import os
import sys
import time

from iaas.cli.errors import APIError, CLIError

DEFAULT_TIMEOUT = 600.0
# Seconds a snapshot image may stay unfinished after the server's task is over.
SNAPSHOT_GRACE = 30.0


def poll_interval(args):
    value = getattr(args, 'poll_interval', None) or os.environ.get('IAAS_POLL_INTERVAL')
    try:
        return max(0.05, float(value)) if value else 2.0
    except ValueError:
        raise CLIError(f'invalid poll interval {value!r}') from None


class Progress:
    def __init__(self, label, out=None):
        self.label = label
        self.out = out or sys.stderr
        self.start = time.monotonic()
        self.last = None

    def show(self, state):
        if state != self.last:
            self.last = state
            print(f'{self.label}: {state} [{time.monotonic() - self.start:.1f}s]',
                  file=self.out, flush=True)


def fault_message(server):
    fault = server.get('fault') or {}
    msg = fault.get('message') or 'no fault recorded'
    if fault.get('details') and fault['details'] not in msg:
        msg += f' ({fault["details"].strip().splitlines()[-1]})'
    return msg


def _state(server):
    status = server.get('status', '?')
    task = server.get('OS-EXT-STS:task_state')
    return f'{status} ({task})' if task else status


def server(compute, server_id, args, target=('ACTIVE',), label=None):
    """Wait until the server's status is in ``target`` with no task, or
    ERROR (→ CLIError with the fault message). ``target=None``: wait until it
    is gone (404 or DELETED). Returns the last server body (None if gone)."""
    timeout = getattr(args, 'timeout', None) or DEFAULT_TIMEOUT
    interval = poll_interval(args)
    progress = Progress(label or f'server {server_id}')
    deadline = time.monotonic() + timeout
    while True:
        try:
            srv = compute.get(f'/servers/{server_id}').json()['server']
        except APIError as exc:
            if exc.status == 404 and target is None:
                progress.show('deleted')
                return None
            raise
        progress.show(_state(srv))
        status, task = srv.get('status'), srv.get('OS-EXT-STS:task_state')
        if target is None:
            if status in ('DELETED', 'SOFT_DELETED'):
                return srv
        elif status == 'ERROR':
            raise CLIError(f'{progress.label} went to ERROR: {fault_message(srv)}')
        elif status in target and not task:
            return srv
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CLIError(f'timed out after {timeout:g}s waiting for {progress.label} '
                           f'(last state: {_state(srv)})')
        time.sleep(min(interval, remaining))


def snapshot(compute, image_svc, server_id, image_id, args, label=None, grace=None):
    """Wait until the snapshot image is active; killed/deleted → CLIError.

    The server is watched too: if its snapshot task is over (no task state)
    and the image still is not active ``grace`` seconds later, the snapshot
    failed without the image saying so (e.g. its clean-up failed too)."""
    grace = SNAPSHOT_GRACE if grace is None else grace
    timeout = getattr(args, 'timeout', None) or DEFAULT_TIMEOUT
    interval = poll_interval(args)
    progress = Progress(label or f'image {image_id}')
    deadline = time.monotonic() + timeout
    idle_since = None
    while True:
        try:
            img = image_svc.get(f'/images/{image_id}').json()
        except APIError as exc:
            if exc.status == 404:
                raise CLIError(f'{progress.label} was deleted (the snapshot failed)') from None
            raise
        status = img.get('status')
        srv = compute.get(f'/servers/{server_id}').json()['server']
        task = srv.get('OS-EXT-STS:task_state')
        progress.show(f'{status}' + (f' (server: {task})' if task else ''))
        if status == 'active':
            return img
        if status in ('killed', 'deleted', 'pending_delete'):
            raise CLIError(f'{progress.label} went to {status} (the snapshot failed)')
        now = time.monotonic()
        if task:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= grace:
            raise CLIError(f'the snapshot failed: the server has no snapshot task any more '
                           f'but {progress.label} is still {status}')
        remaining = deadline - now
        if remaining <= 0:
            raise CLIError(f'timed out after {timeout:g}s waiting for {progress.label} '
                           f'(last status: {status})')
        time.sleep(min(interval, remaining))
