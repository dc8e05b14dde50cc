"""Entry points of the volume_admin context (iaas-volume's backends).

======================  =====================================================
entry point             does
======================  =====================================================
``execute``             one command of iaas-volume's allow-list
                        (:func:`iaas.privileged.commands.check_volume`:
                        tgtadm, the LVM tools, ``qemu-img convert`` of raw
                        data into one of our logical volumes)
======================  =====================================================

The file, NBD and RBD backends need no root: they work on files the
``iaas`` user owns (``qemu-img``, ``qemu-nbd`` run as that user). tgtd only
takes orders from uid 0, and LVM needs device-mapper, hence this context.
The arguments are checked here, in the privileged process, whatever the
driver checked already.
"""
import subprocess

from iaas.privileged import Refused, commands, volume_admin

MAX_TIMEOUT = 3600


def run_checked(argv, input=None, timeout=60, runner=None):
    """Check ``argv``, run it; ``(returncode, stdout, stderr)``."""
    argv = commands.check_volume(argv)
    if input is not None and not isinstance(input, str):
        raise Refused('privileged command input must be text')
    r = (runner or subprocess.run)(argv, input=input, capture_output=True, text=True,
                                   timeout=max(1, min(int(timeout), MAX_TIMEOUT)))
    return r.returncode, r.stdout, r.stderr


@volume_admin.entrypoint
def execute(argv, input=None, timeout=60):
    return run_checked(argv, input, timeout)
