"""``--wait``: poll a server (or a snapshot image) until it settles, printing
each status / task-state change on its own line on stderr, with a deadline.

Transient failures while polling (connection refused, timeouts, 5xx: e.g. an
API restarting) are shown and retried until the deadline."""
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


class Poller:
    """The deadline, the sleeps and the retries of one ``--wait``."""

    def __init__(self, args, label):
        self.timeout = getattr(args, 'timeout', None) or DEFAULT_TIMEOUT
        self.interval = poll_interval(args)
        self.progress = Progress(label)
        self.deadline = time.monotonic() + self.timeout

    def request_timeout(self):
        """HTTP timeouts that do not outlast the deadline by much."""
        left = max(1.0, self.deadline - time.monotonic())
        return (min(10.0, left), min(120.0, left + 5.0))

    def get(self, svc, path):
        """The JSON of GET ``path``; None after a transient failure (shown).
        Other API errors (4xx) are raised to the caller."""
        try:
            return svc.get(path, timeout=self.request_timeout()).json()
        except APIError as exc:
            if exc.status < 500:
                raise
            err = exc
        except CLIError as exc:
            err = exc
        except ValueError:
            err = CLIError(f'GET {path} answered something that is not JSON')
        if time.monotonic() >= self.deadline:
            raise err
        self.progress.show(f'retrying: {err.message}')
        return None

    def sleep(self, last_state):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CLIError(f'timed out after {self.timeout:g}s waiting for '
                           f'{self.progress.label} (last state: {last_state})')
        time.sleep(min(self.interval, remaining))


def fault_message(server):
    fault = server.get('fault') or {}
    msg = fault.get('message') or 'no fault recorded'
    if fault.get('details') and fault['details'] not in msg:
        msg += f' ({fault["details"].strip().splitlines()[-1]})'
    return msg


def _state(server):
    if server is None:
        return 'unknown'
    status = server.get('status', '?')
    task = server.get('OS-EXT-STS:task_state')
    return f'{status} ({task})' if task else status


def server(compute, server_id, args, target=('ACTIVE',), label=None):
    """Wait until the server's status is in ``target`` with no task, or
    ERROR (→ CLIError with the fault message). ``target=None``: wait until it
    is gone (404 or DELETED). Returns the last server body (None if gone)."""
    poll = Poller(args, label or f'server {server_id}')
    srv = None
    while True:
        try:
            body = poll.get(compute, f'/servers/{server_id}')
        except APIError as exc:
            if exc.status == 404 and target is None:
                poll.progress.show('deleted')
                return None
            raise
        if body is not None:
            srv = body['server']
            poll.progress.show(_state(srv))
            status, task = srv.get('status'), srv.get('OS-EXT-STS:task_state')
            if target is None:
                if status in ('DELETED', 'SOFT_DELETED'):
                    return srv
            elif status == 'ERROR':
                raise CLIError(f'{poll.progress.label} went to ERROR: {fault_message(srv)}')
            elif status in target and not task:
                return srv
        poll.sleep(_state(srv))


def snapshot(compute, image_svc, server_id, image_id, args, label=None, grace=None):
    """Wait until the snapshot image is active; killed/deleted → CLIError.

    The server is watched too: if its snapshot task is over (no task state)
    and the image still is not active ``grace`` seconds later, the snapshot
    failed without the image saying so (e.g. its clean-up failed too)."""
    grace = SNAPSHOT_GRACE if grace is None else grace
    poll = Poller(args, label or f'image {image_id}')
    idle_since = None
    status = None
    while True:
        try:
            img = poll.get(image_svc, f'/images/{image_id}')
        except APIError as exc:
            if exc.status == 404:
                raise CLIError(f'{poll.progress.label} was deleted (the snapshot failed)'
                               ) from None
            raise
        body = poll.get(compute, f'/servers/{server_id}') if img is not None else None
        if img is not None and body is not None:
            status = img.get('status')
            task = body['server'].get('OS-EXT-STS:task_state')
            poll.progress.show(f'{status}' + (f' (server: {task})' if task else ''))
            if status == 'active':
                return img
            if status in ('killed', 'deleted', 'pending_delete'):
                raise CLIError(f'{poll.progress.label} went to {status} (the snapshot '
                               f'failed)')
            now = time.monotonic()
            if task:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since >= grace:
                raise CLIError(f'the snapshot failed: the server has no snapshot task any '
                               f'more but {poll.progress.label} is still {status}')
        poll.sleep(status)
