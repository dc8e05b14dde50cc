"""[compute] options: the compute manager and its driver."""
from oslo_config import cfg

compute_group = cfg.OptGroup('compute', title='Compute options',
                             help='How iaas-compute runs guests on this host.')

compute_opts = [
    cfg.StrOpt('compute_driver', default='fake',
               help='Hypervisor driver, by short name: "fake" (guests in memory, for '
                    'tests and control-plane benchmarks) or "libvirt". An unknown '
                    'name stops iaas-compute at start with the list of known ones.'),
    cfg.IntOpt('max_concurrent_builds', default=10, min=1,
               help='Builds this host runs at once; further requests wait in line '
                    'instead of failing.'),
    cfg.IntOpt('build_timeout', default=600, min=1,
               help='Seconds a server may stay in BUILD before a periodic task puts '
                    'it in ERROR with a fault.'),
    cfg.IntOpt('block_device_wait_timeout', default=600, min=1,
               help='Seconds a build waits for the volumes it boots with to be made '
                    '(an image converted into a volume takes a while) before it fails.'),
    cfg.IntOpt('action_timeout', default=900, min=1,
               help='Seconds any other task (stop, reboot, snapshot…) may run before '
                    'its task_state is cleared and a fault recorded.'),
    cfg.IntOpt('sync_power_state_interval', default=30, min=1,
               help='Seconds between two syncs of power states with the hypervisor.'),
    cfg.IntOpt('resource_report_interval', default=30, min=1,
               help='Seconds between two reports of this host\'s capacity.'),
    cfg.IntOpt('reap_interval', default=10, min=1,
               help='Seconds between two scans (in iaas-conductor) for builds and '
                    'tasks stuck past their timeout or on a host that went down.'),
    cfg.StrOpt('default_availability_zone', default='nova',
               help='Availability zone of hosts not placed in another.'),
    cfg.StrOpt('instances_path', default='$state_path/instances',
               help='Where instance disks, console logs and config drives live.'),
    cfg.IntOpt('reserved_host_memory_mb', default=512, min=0,
               help='Memory kept for the host itself, not offered to guests.'),
    cfg.IntOpt('reserved_host_disk_gb', default=0, min=0,
               help='Disk kept for the host itself, not offered to guests.'),
    cfg.IntOpt('shutdown_timeout', default=60, min=0,
               help='Seconds a guest has to shut down cleanly (ACPI) on stop before '
                    'it is powered off.'),
    cfg.BoolOpt('allow_resize_to_same_host', default=True,
                help='Let a resize pick the host the server is on.'),
]

fake_group = cfg.OptGroup('fake_driver', title='Fake hypervisor',
                          help='The in-memory hypervisor used by tests and benchmarks.')

fake_opts = [
    cfg.IntOpt('vcpus', default=16, min=1, help='vCPUs the fake host reports.'),
    cfg.IntOpt('memory_mb', default=32768, min=1, help='MiB of RAM the fake host reports.'),
    cfg.IntOpt('local_gb', default=1000, min=1, help='GiB of disk the fake host reports.'),
    cfg.FloatOpt('spawn_delay', default=0.0, min=0,
                 help='Seconds a spawn takes (sleep), to model slow hypervisors.'),
    cfg.FloatOpt('spawn_failure_rate', default=0.0, min=0, max=1,
                 help='Probability that a spawn fails (to test reschedules).'),
    cfg.BoolOpt('enforce_capacity', default=True,
                help='Refuse a spawn that would take the host over its reported '
                     'capacity (times the allocation ratios): the fake driver\'s own '
                     'accounting, which tests compare with the scheduler\'s.'),
    cfg.IntOpt('hosts', default=0, min=0, max=10000,
               help='Scale simulation: when above 0, iaas-compute runs this many fake '
                    'hosts in one process, named "<host_prefix>-0001"…, each with its '
                    'own service row, heartbeat and resource report, over one bus '
                    'connection for consuming and one for publishing, one worker pool '
                    'and one heartbeat thread (docs/operators/scale.md). Only with '
                    'compute_driver = fake; each host signs its conductor calls with its '
                    'own key, derived from [conductor] master_key_file, which must be '
                    'readable here ([conductor] compute_key, one host\'s key, must be '
                    'empty).'),
    cfg.StrOpt('host_prefix', default='$host',
               help='Name prefix of the fake hosts of [fake_driver] hosts.'),
]


def register_opts(conf):
    conf.register_group(compute_group)
    conf.register_opts(compute_opts, group=compute_group)
    conf.register_group(fake_group)
    conf.register_opts(fake_opts, group=fake_group)


def list_opts():
    return {compute_group: compute_opts, fake_group: fake_opts}
