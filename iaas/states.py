"""Instance states, as Nova has them, and the one table of allowed actions.

Three fields describe an instance: ``vm_state`` (what it is), ``task_state``
(what is being done to it, None when idle) and ``power_state`` (what the
hypervisor says). Clients see ``status``, derived from the first two.

An action is allowed when the instance's vm_state is in the action's set
and its task_state is idle (or in the action's extra set); the API moves it
to the action's task_state with a compare-and-swap on (vm_state,
task_state), so two actions on one instance cannot interleave.
"""
# vm_state
ACTIVE = 'active'
BUILDING = 'building'
PAUSED = 'paused'
SUSPENDED = 'suspended'
STOPPED = 'stopped'
RESIZED = 'resized'
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
    if task_state in _RESIZE_TASKS:
        return 'RESIZE'
    if vm_state == RESIZED:
        return 'REVERT_RESIZE' if task_state == RESIZE_REVERTING else 'VERIFY_RESIZE'
    return _BASE.get(vm_state, 'UNKNOWN')


_BASE = {ACTIVE: 'ACTIVE', STOPPED: 'SHUTOFF', PAUSED: 'PAUSED', SUSPENDED: 'SUSPENDED',
         RESIZED: 'VERIFY_RESIZE', ERROR: 'ERROR', DELETED: 'DELETED', BUILDING: 'BUILD'}

# Status names a client may filter on → vm_states.
STATUS_TO_VM_STATES = {'BUILD': [BUILDING], 'ACTIVE': [ACTIVE], 'SHUTOFF': [STOPPED],
                       'PAUSED': [PAUSED], 'SUSPENDED': [SUSPENDED], 'ERROR': [ERROR],
                       'VERIFY_RESIZE': [RESIZED], 'DELETED': [DELETED],
                       'REBOOT': [ACTIVE], 'HARD_REBOOT': [ACTIVE], 'RESIZE': [ACTIVE, STOPPED],
                       'REBUILD': [ACTIVE, STOPPED, ERROR]}

ANY = object()

# action → (allowed vm_states, allowed task_states, task_state it sets)
ACTIONS = {
    'start': ({STOPPED}, {None}, POWERING_ON),
    'stop': ({ACTIVE, ERROR}, {None}, POWERING_OFF),
    'reboot': ({ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR}, {None}, REBOOTING),
    'reboot_hard': ({ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR},
                    {None, REBOOTING, REBOOTING_HARD}, REBOOTING_HARD),
    'pause': ({ACTIVE}, {None}, PAUSING),
    'unpause': ({PAUSED}, {None}, UNPAUSING),
    'suspend': ({ACTIVE}, {None}, SUSPENDING),
    'resume': ({SUSPENDED}, {None}, RESUMING),
    'rebuild': ({ACTIVE, STOPPED, ERROR}, {None}, REBUILDING),
    'snapshot': ({ACTIVE, STOPPED, PAUSED, SUSPENDED}, {None}, IMAGE_SNAPSHOT),
    'resize': ({ACTIVE, STOPPED}, {None}, RESIZE_PREP),
    'confirm_resize': ({RESIZED}, {None}, RESIZE_CONFIRMING),
    'revert_resize': ({RESIZED}, {None}, RESIZE_REVERTING),
    'delete': (ANY, ANY, DELETING),
    'console_output': ({ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR, RESIZED, BUILDING},
                       ANY, None),
}


class InvalidState(Exception):
    """The action is not allowed in the instance's current state (HTTP 409)."""
    expected = True


def check_action(action, vm_state, task_state):
    """Return the task_state the action sets; raise InvalidState if not allowed."""
    vm_ok, task_ok, new_task = ACTIONS[action]
    if (vm_ok is not ANY and vm_state not in vm_ok) or \
            (task_ok is not ANY and task_state not in task_ok):
        shown = action.replace('_hard', '').replace('_', ' ')
        raise InvalidState(f"Cannot '{shown}' instance while it is in vm_state {vm_state}"
                           + (f' and task_state {task_state}' if task_state else ''))
    return new_task
