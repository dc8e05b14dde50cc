"""[recovery] options: automatic evacuation of the servers of a dead compute
host (what Masakari's host monitor and engine do for Nova)."""
from oslo_config import cfg

recovery_group = cfg.OptGroup(
    'recovery', title='Automatic host failure recovery',
    help='iaas-conductor watches the compute services. When one has sent no '
         'heartbeat for grace_period seconds and is fenced (an operator ran '
         '"openstack compute service set --down", or auto_fence is on), its '
         'servers marked for high availability (server metadata HA_Enabled=True, '
         'as Masakari, or flavor extra spec ha:enabled=true; every server with '
         'evacuate_all) are evacuated: rebuilt on other hosts with the same id, '
         'ports, floating IPs, metadata and volumes. Several conductors may run: '
         'each server is evacuated once (a compare-and-swap on its task_state). '
         'A host that comes back destroys the guests it no longer owns before '
         'it reports up.')

recovery_opts = [
    cfg.BoolOpt('enabled', default=False,
                help='Evacuate the HA servers of dead, fenced compute hosts '
                     'automatically.'),
    cfg.IntOpt('grace_period', default=120, min=0,
               help='Seconds since a compute service\'s last heartbeat before it is '
                    'taken as dead (it must also be fenced). Keep it above '
                    '[service] service_down_time, so a host that is only slow to '
                    'report is not evacuated.'),
    cfg.BoolOpt('auto_fence', default=False,
                help='Mark a compute service forced_down by itself once it has been '
                     'silent for grace_period. Only safe where a silent host cannot '
                     'still be running guests on the same disks or addresses (e.g. '
                     'power fencing outside the cloud, or no shared storage); without '
                     'it an operator (or a monitor) fences the host.'),
    cfg.BoolOpt('evacuate_all', default=False,
                help='Evacuate every server of a dead host, not only those marked HA.'),
    cfg.IntOpt('interval', default=10, min=1,
               help='Seconds between two checks of the compute services.'),
]


def register_opts(conf):
    conf.register_group(recovery_group)
    conf.register_opts(recovery_opts, group=recovery_group)


def list_opts():
    return {recovery_group: recovery_opts}
