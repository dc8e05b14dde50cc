"""Instance states, as Nova has them, and the one table of allowed actions.

Three fields describe an instance: ``vm_state`` (what it is), ``task_state``
(what is being done to it, None when idle) and ``power_state`` (what the
hypervisor says). Clients see ``status``, derived from the first two.

An action is allowed when the instance's vm_state is in the action's set
and its task_state is idle (or in the action's extra set); the API moves it
to the action's task_state with a compare-and-swap on (vm_state,
task_state), so two actions on one instance cannot interleave. The same
table says what the action leaves on success and on failure; the compute
manager's completions read it (:func:`completion`).
"""
from typing import NamedTuple

from iaas.exception import ServiceError

# vm_state
ACTIVE = 'active'
BUILDING = 'building'
PAUSED = 'paused'
SUSPENDED = 'suspended'
STOPPED = 'stopped'
RESIZED = 'resized'
SHELVED = 'shelved'
SHELVED_OFFLOADED = 'shelved_offloaded'
ERROR = 'error'
DELETED = 'deleted'

# task_state
SCHEDULING = 'scheduling'
SPAWNING = 'spawning'
POWERING_OFF = 'powering-off'
POWERING_ON = 'powering-on'
REBOOTING = 'rebooting'
REBOOTING_HARD = 'rebooting_hard'
PAUSING = 'pausing'
UNPAUSING = 'unpausing'
SUSPENDING = 'suspending'
RESUMING = 'resuming'
REBUILDING = 'rebuilding'
IMAGE_SNAPSHOT = 'image_snapshot'
RESIZE_PREP = 'resize_prep'
RESIZE_MIGRATING = 'resize_migrating'
RESIZE_FINISH = 'resize_finish'
RESIZE_REVERTING = 'resize_reverting'
RESIZE_CONFIRMING = 'resize_confirming'
SHELVING = 'shelving'
SHELVING_IMAGE_PENDING_UPLOAD = 'shelving_image_pending_upload'
SHELVING_IMAGE_UPLOADING = 'shelving_image_uploading'
SHELVING_OFFLOADING = 'shelving_offloading'
UNSHELVING = 'unshelving'
MIGRATING = 'migrating'
DELETING = 'deleting'

# power_state (Nova's numbers, as clients print them)
NOSTATE = 0
RUNNING = 1
PAUSED_POWER = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED_POWER = 7
POWER_STATE_NAMES = {NOSTATE: 'NOSTATE', RUNNING: 'Running', PAUSED_POWER: 'Paused',
                     SHUTDOWN: 'Shutdown', CRASHED: 'Crashed',
                     SUSPENDED_POWER: 'Suspended'}

_RESIZE_TASKS = {RESIZE_PREP, RESIZE_MIGRATING, RESIZE_FINISH}
# The task_states a shelve passes through before SHELVED (Nova's).
SHELVE_TASKS = (SHELVING, SHELVING_IMAGE_PENDING_UPLOAD, SHELVING_IMAGE_UPLOADING)


def status(vm_state, task_state):
    """The API status of an instance (BUILD, ACTIVE, SHUTOFF, …)."""
    if vm_state == BUILDING:
        return 'BUILD'
    if task_state == DELETING and vm_state != ERROR:
        return 'ACTIVE' if vm_state == ACTIVE else _BASE.get(vm_state, 'UNKNOWN')
    if task_state == REBOOTING and vm_state in (ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR):
        return 'REBOOT'
    if task_state == REBOOTING_HARD:
        return 'HARD_REBOOT'
    if task_state == REBUILDING:
        return 'REBUILD'
    if task_state == MIGRATING and vm_state in (ACTIVE, PAUSED):
        return 'MIGRATING'
    if task_state in _RESIZE_TASKS:
        return 'RESIZE'
    if vm_state == RESIZED:
        return 'REVERT_RESIZE' if task_state == RESIZE_REVERTING else 'VERIFY_RESIZE'
    return _BASE.get(vm_state, 'UNKNOWN')


_BASE = {ACTIVE: 'ACTIVE', STOPPED: 'SHUTOFF', PAUSED: 'PAUSED', SUSPENDED: 'SUSPENDED',
         RESIZED: 'VERIFY_RESIZE', ERROR: 'ERROR', DELETED: 'DELETED', BUILDING: 'BUILD',
         SHELVED: 'SHELVED', SHELVED_OFFLOADED: 'SHELVED_OFFLOADED'}

# Status names a client may filter on → vm_states.
STATUS_TO_VM_STATES = {'BUILD': [BUILDING], 'ACTIVE': [ACTIVE], 'SHUTOFF': [STOPPED],
                       'PAUSED': [PAUSED], 'SUSPENDED': [SUSPENDED], 'ERROR': [ERROR],
                       'VERIFY_RESIZE': [RESIZED], 'DELETED': [DELETED],
                       'REBOOT': [ACTIVE], 'HARD_REBOOT': [ACTIVE], 'RESIZE': [ACTIVE, STOPPED],
                       'REBUILD': [ACTIVE, STOPPED, ERROR], 'SHELVED': [SHELVED],
                       'SHELVED_OFFLOADED': [SHELVED_OFFLOADED]}


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


ANY = _Marker('ANY')            # any vm_state / task_state may begin the action
KEEP = _Marker('KEEP')          # on success: the vm_state it had; on failure: the
                                # task_state cleared, the vm_state kept, a fault recorded
PREVIOUS = _Marker('PREVIOUS')  # on success: the vm_state saved before the action
                                # (a stopped server is stopped again after a rebuild;
                                # a revert restores the vm_state before the resize)
FROM_DRIVER = _Marker('FROM_DRIVER')  # power_state: what the hypervisor reports after


class Action(NamedTuple):
    """One row of the instance state table.

    ``vm_states``/``task_states``: the states the action may begin from
    (ANY: every one). ``task_state``: the task_state the API sets with its
    compare-and-swap, and the one the completion expects (``done_from``
    when more than one may be found at the end: a hard reboot supersedes a
    soft one). ``vm_state``/``power_state``: after success (KEEP,
    PREVIOUS, FROM_DRIVER as above). ``on_failure``: ERROR (with a fault),
    or KEEP (the task_state cleared, a fault recorded, the instance as
    before).
    """
    vm_states: object
    task_states: object
    task_state: str | None
    vm_state: object
    power_state: object
    on_failure: object
    done_from: tuple = ()

    @property
    def expected_task_state(self):
        """The task_state(s) the completion's compare-and-swap expects."""
        if not self.done_from:
            return self.task_state
        return self.done_from if len(self.done_from) > 1 else self.done_from[0]


_LIVE = frozenset({ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR})
_IDLE = frozenset({None})

ACTIONS = {
    # Nova's boot: the API creates BUILDING/SCHEDULING; the scheduler moves
    # it to SPAWNING on the host it claimed; a failed build is rescheduled
    # (conductor) until max_attempts, then ERROR.
    'build': Action(frozenset({BUILDING}), frozenset({SCHEDULING}), SPAWNING,
                    ACTIVE, RUNNING, ERROR),
    'start': Action(frozenset({STOPPED}), _IDLE, POWERING_ON, ACTIVE, FROM_DRIVER, KEEP),
    'stop': Action(frozenset({ACTIVE, ERROR}), _IDLE, POWERING_OFF, STOPPED, FROM_DRIVER,
                   KEEP),
    'reboot': Action(_LIVE, _IDLE, REBOOTING, ACTIVE, FROM_DRIVER, KEEP,
                     (REBOOTING, REBOOTING_HARD)),
    'reboot_hard': Action(_LIVE, frozenset({None, REBOOTING, REBOOTING_HARD}),
                          REBOOTING_HARD, ACTIVE, FROM_DRIVER, KEEP,
                          (REBOOTING, REBOOTING_HARD)),
    'pause': Action(frozenset({ACTIVE}), _IDLE, PAUSING, PAUSED, FROM_DRIVER, KEEP),
    'unpause': Action(frozenset({PAUSED}), _IDLE, UNPAUSING, ACTIVE, FROM_DRIVER, KEEP),
    'suspend': Action(frozenset({ACTIVE}), _IDLE, SUSPENDING, SUSPENDED, FROM_DRIVER, KEEP),
    'resume': Action(frozenset({SUSPENDED}), _IDLE, RESUMING, ACTIVE, FROM_DRIVER, KEEP),
    'rebuild': Action(frozenset({ACTIVE, STOPPED, ERROR}), _IDLE, REBUILDING, PREVIOUS,
                      FROM_DRIVER, ERROR),
    'snapshot': Action(frozenset({ACTIVE, STOPPED, PAUSED, SUSPENDED}), _IDLE,
                       IMAGE_SNAPSHOT, KEEP, KEEP, KEEP),
    # The API sets RESIZE_PREP, the scheduler RESIZE_MIGRATING once it has
    # claimed the destination (no room: the task_state is cleared), and the
    # destination host RESIZED.
    'resize': Action(frozenset({ACTIVE, STOPPED}), _IDLE, RESIZE_PREP, RESIZED,
                     FROM_DRIVER, ERROR, (RESIZE_MIGRATING,)),
    # Cold migration (Nova's migrate): a resize to the same flavor on another
    # host, through the same states (RESIZE, then VERIFY_RESIZE until confirmed
    # or reverted).
    'migrate': Action(frozenset({ACTIVE, STOPPED}), _IDLE, RESIZE_PREP, RESIZED,
                      FROM_DRIVER, ERROR, (RESIZE_MIGRATING,)),
    # Evacuate (Nova's): the server of a dead (down, fenced) host rebuilt on
    # another with the same uuid, ports and volumes; the scheduler keeps the
    # task_state while it claims the new host (no room: the task is cleared,
    # a fault recorded); the new host ends it ACTIVE (STOPPED for a server
    # that was stopped), a failed spawn in ERROR.
    'evacuate': Action(frozenset({ACTIVE, STOPPED, ERROR}), _IDLE, REBUILDING, PREVIOUS,
                       FROM_DRIVER, ERROR),
    # Confirm is the API's alone: RESIZED and idle → ACTIVE (STOPPED for a
    # server that was stopped when the resize began) in one swap.
    'confirm_resize': Action(frozenset({RESIZED}), _IDLE, None, PREVIOUS, KEEP, KEEP),
    'revert_resize': Action(frozenset({RESIZED}), _IDLE, RESIZE_REVERTING, PREVIOUS,
                            FROM_DRIVER, ERROR),
    # Shelve (Nova's): the guest is powered off (an image-backed one is
    # snapshotted on the way: shelving → …pending_upload → …uploading), then
    # SHELVED; with [DEFAULT] shelved_offload_time 0, or for a volume-backed
    # server, its host goes on at once to the offload (task_state
    # shelving_offloading). A failure leaves the server as it was.
    'shelve': Action(frozenset({ACTIVE, STOPPED, PAUSED, SUSPENDED}), _IDLE, SHELVING,
                     SHELVED, FROM_DRIVER, KEEP, SHELVE_TASKS),
    # Offload: the guest is destroyed on its host and the host's resources are
    # freed (host and node cleared); ports and volumes stay the server's.
    'shelve_offload': Action(frozenset({SHELVED}), _IDLE, SHELVING_OFFLOADING,
                             SHELVED_OFFLOADED, NOSTATE, KEEP),
    # Unshelve: a SHELVED guest is powered on again where it is; a
    # SHELVED_OFFLOADED one is scheduled (the claim keeps task_state
    # unshelving) and spawned from its shelved image or its root volume. A
    # failure leaves it as it was (an offloaded one without a host again).
    'unshelve': Action(frozenset({SHELVED, SHELVED_OFFLOADED}), _IDLE, UNSHELVING, ACTIVE,
                       FROM_DRIVER, KEEP),
    # Live migration (Nova's os-migrateLive, iaas/compute/live_migration.py):
    # the API sets migrating, the scheduler claims the destination (the
    # instance's host becomes the destination, task_state stays migrating),
    # the guest moves while it runs, and the destination ends the task with
    # the vm_state it had. A failure leaves it running where it was.
    'live_migrate': Action(frozenset({ACTIVE, PAUSED}), _IDLE, MIGRATING, KEEP,
                           FROM_DRIVER, KEEP),
    'delete': Action(ANY, ANY, DELETING, DELETED, NOSTATE, ERROR),
    # A read: no task_state, no outcome.
    'console_output': Action(frozenset({ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR, RESIZED,
                                        BUILDING}), ANY, None, KEEP, KEEP, KEEP),
}


def completion(action):
    """(vm_state after success, task_state(s) the completion expects) of an
    action whose outcome is a fixed vm_state (the compute manager's
    simple actions)."""
    row = ACTIONS[action]
    if row.vm_state in (KEEP, PREVIOUS):
        raise ValueError(f'{action} has no fixed vm_state after success')
    return row.vm_state, row.expected_task_state


def resize_confirmed(vm_state_before):
    """The vm_state a confirmed resize leaves (the row's PREVIOUS): STOPPED
    for a server that was stopped when the resize began, else ACTIVE."""
    return STOPPED if vm_state_before == STOPPED else ACTIVE


class InvalidState(ServiceError):
    """The action is not allowed in the instance's current state."""
    code = 409


def check_action(action, vm_state, task_state):
    """Return the task_state the action sets; raise InvalidState if not allowed."""
    row = ACTIONS[action]
    vm_ok, task_ok, new_task = row.vm_states, row.task_states, row.task_state
    if (vm_ok is not ANY and vm_state not in vm_ok) or \
            (task_ok is not ANY and task_state not in task_ok):
        shown = action.replace('_hard', '').replace('_', ' ')
        raise InvalidState(f"Cannot '{shown}' instance while it is in vm_state {vm_state}"
                           + (f' and task_state {task_state}' if task_state else ''))
    return new_task
