"""iaas/states.py: the one table of instance actions. Each row is checked
against what the action must do (written out again here, so a change of the
table must be a change of this test too), and the compute manager's
completions are shown to come from it."""
import pytest

from iaas import states as S
from iaas.compute import manager

ALL_VM = {S.ACTIVE, S.BUILDING, S.PAUSED, S.SUSPENDED, S.STOPPED, S.RESIZED, S.ERROR,
          S.DELETED}
ALL_TASK = {None, S.SCHEDULING, S.SPAWNING, S.POWERING_OFF, S.POWERING_ON, S.REBOOTING,
            S.REBOOTING_HARD, S.PAUSING, S.UNPAUSING, S.SUSPENDING, S.RESUMING, S.REBUILDING,
            S.IMAGE_SNAPSHOT, S.RESIZE_PREP, S.RESIZE_MIGRATING, S.RESIZE_FINISH,
            S.RESIZE_REVERTING, S.RESIZE_CONFIRMING, S.DELETING, S.MIGRATING}
LIVE = {S.ACTIVE, S.STOPPED, S.PAUSED, S.SUSPENDED, S.ERROR}

# action: (vm_states it begins from, task_states it begins from, task_state while
#          running, task_state(s) the completion expects, vm_state after success,
#          power_state after success, on failure)
EXPECTED = {
    'build': ({S.BUILDING}, {S.SCHEDULING}, S.SPAWNING, S.SPAWNING, S.ACTIVE, S.RUNNING,
              S.ERROR),
    'start': ({S.STOPPED}, {None}, S.POWERING_ON, S.POWERING_ON, S.ACTIVE, S.FROM_DRIVER,
              S.KEEP),
    'stop': ({S.ACTIVE, S.ERROR}, {None}, S.POWERING_OFF, S.POWERING_OFF, S.STOPPED,
             S.FROM_DRIVER, S.KEEP),
    'reboot': (LIVE, {None}, S.REBOOTING, (S.REBOOTING, S.REBOOTING_HARD), S.ACTIVE,
               S.FROM_DRIVER, S.KEEP),
    'reboot_hard': (LIVE, {None, S.REBOOTING, S.REBOOTING_HARD}, S.REBOOTING_HARD,
                    (S.REBOOTING, S.REBOOTING_HARD), S.ACTIVE, S.FROM_DRIVER, S.KEEP),
    'pause': ({S.ACTIVE}, {None}, S.PAUSING, S.PAUSING, S.PAUSED, S.FROM_DRIVER, S.KEEP),
    'unpause': ({S.PAUSED}, {None}, S.UNPAUSING, S.UNPAUSING, S.ACTIVE, S.FROM_DRIVER,
                S.KEEP),
    'suspend': ({S.ACTIVE}, {None}, S.SUSPENDING, S.SUSPENDING, S.SUSPENDED, S.FROM_DRIVER,
                S.KEEP),
    'resume': ({S.SUSPENDED}, {None}, S.RESUMING, S.RESUMING, S.ACTIVE, S.FROM_DRIVER,
               S.KEEP),
    'rebuild': ({S.ACTIVE, S.STOPPED, S.ERROR}, {None}, S.REBUILDING, S.REBUILDING,
                S.PREVIOUS, S.FROM_DRIVER, S.ERROR),
    'snapshot': ({S.ACTIVE, S.STOPPED, S.PAUSED, S.SUSPENDED}, {None}, S.IMAGE_SNAPSHOT,
                 S.IMAGE_SNAPSHOT, S.KEEP, S.KEEP, S.KEEP),
    'resize': ({S.ACTIVE, S.STOPPED}, {None}, S.RESIZE_PREP, S.RESIZE_MIGRATING, S.RESIZED,
               S.FROM_DRIVER, S.ERROR),
    'migrate': ({S.ACTIVE, S.STOPPED}, {None}, S.RESIZE_PREP, S.RESIZE_MIGRATING, S.RESIZED,
                S.FROM_DRIVER, S.ERROR),
    'evacuate': ({S.ACTIVE, S.STOPPED, S.ERROR}, {None}, S.REBUILDING, S.REBUILDING, S.PREVIOUS, S.FROM_DRIVER,
                 S.ERROR),
    'confirm_resize': ({S.RESIZED}, {None}, None, None, S.PREVIOUS, S.KEEP, S.KEEP),
    'revert_resize': ({S.RESIZED}, {None}, S.RESIZE_REVERTING, S.RESIZE_REVERTING,
                      S.PREVIOUS, S.FROM_DRIVER, S.ERROR),
    'live_migrate': ({S.ACTIVE, S.PAUSED}, {None}, S.MIGRATING, S.MIGRATING, S.KEEP,
                     S.FROM_DRIVER, S.KEEP),
    'delete': (ALL_VM, ALL_TASK, S.DELETING, S.DELETING, S.DELETED, S.NOSTATE, S.ERROR),
    'shelve': ({S.ACTIVE, S.STOPPED, S.PAUSED, S.SUSPENDED}, {None}, S.SHELVING,
               S.SHELVE_TASKS, S.SHELVED, S.FROM_DRIVER, S.KEEP),
    'shelve_offload': ({S.SHELVED}, {None}, S.SHELVING_OFFLOADING, S.SHELVING_OFFLOADING,
                       S.SHELVED_OFFLOADED, S.NOSTATE, S.KEEP),
    'unshelve': ({S.SHELVED, S.SHELVED_OFFLOADED}, {None}, S.UNSHELVING, S.UNSHELVING,
                 S.ACTIVE, S.FROM_DRIVER, S.KEEP),
    'console_output': ({S.ACTIVE, S.STOPPED, S.PAUSED, S.SUSPENDED, S.ERROR, S.RESIZED,
                        S.BUILDING}, ALL_TASK, None, None, S.KEEP, S.KEEP, S.KEEP),
}


def test_every_action_has_a_row_and_every_row_is_expected():
    assert set(S.ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize('action', sorted(EXPECTED))
def test_allowed_starts(action):
    vm_ok, task_ok, running = EXPECTED[action][:3]
    for vm in vm_ok:
        for task in task_ok:
            assert S.check_action(action, vm, task) == running, (vm, task)


@pytest.mark.parametrize('action', sorted(EXPECTED))
def test_forbidden_starts_are_refused(action):
    vm_ok, task_ok = EXPECTED[action][:2]
    refused = [(vm, t) for vm in ALL_VM for t in ALL_TASK
               if vm not in vm_ok or t not in task_ok]
    for vm, task in refused:
        with pytest.raises(S.InvalidState, match='Cannot'):
            S.check_action(action, vm, task)
    if action not in ('delete', 'console_output'):
        assert refused      # every action but these two has a state it may not start in


@pytest.mark.parametrize('action', sorted(EXPECTED))
def test_outcomes_on_success_and_failure(action):
    _, _, running, done_from, vm_after, power_after, failure = EXPECTED[action]
    row = S.ACTIONS[action]
    assert row.task_state == running
    assert row.expected_task_state == done_from
    assert (row.vm_state, row.power_state, row.on_failure) == (vm_after, power_after, failure)
    assert failure in (S.ERROR, S.KEEP)


def test_a_forbidden_transition_names_the_states():
    with pytest.raises(S.InvalidState, match="'start' instance while it is in vm_state "
                                             'active and task_state rebooting'):
        S.check_action('start', S.ACTIVE, S.REBOOTING)
    with pytest.raises(KeyError):
        S.check_action('levitate', S.ACTIVE, None)


def test_the_compute_managers_completions_come_from_the_table():
    for action, (_call, vm_after, expected) in manager.SIMPLE_ACTIONS.items():
        assert (vm_after, expected) == (EXPECTED[action][4], EXPECTED[action][3])
        assert (vm_after, expected) == S.completion(action)


def test_completion_refuses_an_action_without_a_fixed_outcome():
    for action in ('rebuild', 'snapshot', 'revert_resize'):
        with pytest.raises(ValueError):
            S.completion(action)


@pytest.mark.parametrize('action', sorted(a for a in EXPECTED if S.ACTIONS[a].task_state))
def test_the_running_task_state_is_shown_as_a_status(action):
    row = S.ACTIONS[action]
    vm = sorted(row.vm_states)[0] if row.vm_states is not S.ANY else S.ACTIVE
    assert S.status(vm, row.task_state) != 'UNKNOWN'


def test_a_confirmed_resize_leaves_a_stopped_server_stopped():
    assert S.resize_confirmed(S.STOPPED) == S.STOPPED
    assert S.resize_confirmed(S.ACTIVE) == S.ACTIVE
    assert S.resize_confirmed(None) == S.ACTIVE
