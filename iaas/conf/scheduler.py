"""[scheduler] options: iaas-scheduler, which host gets a new instance."""
from oslo_config import cfg

scheduler_group = cfg.OptGroup(
    'scheduler', title='Scheduler options',
    help='How iaas-scheduler picks a compute host: filters remove hosts that '
         'cannot take the instance, weighers order the rest.')

DEFAULT_FILTERS = ['ComputeFilter', 'AvailabilityZoneFilter', 'RamFilter', 'DiskFilter',
                   'VCPUFilter', 'ImagePropertiesFilter', 'ServerGroupAffinityFilter',
                   'ServerGroupAntiAffinityFilter']

scheduler_opts = [
    cfg.ListOpt('enabled_filters', default=DEFAULT_FILTERS,
                help='Filters a host must pass, in this order (cheap and '
                     'selective ones first). Names are the entry points of '
                     'the "iaas.scheduler.filters" group; built in: '
                     'ComputeFilter (service up and enabled), '
                     'AvailabilityZoneFilter, RamFilter, DiskFilter, '
                     'VCPUFilter (free resources with the allocation ratios '
                     'of the compute node), ImagePropertiesFilter '
                     '(hw_architecture / img_hv_type of the image), '
                     'ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter. '
                     'An unknown name stops the scheduler at start.'),
    cfg.ListOpt('weighers', default=['RAMWeigher', 'ServerGroupSoftAffinityWeigher',
                                     'ServerGroupSoftAntiAffinityWeigher'],
                help='Weighers ordering the hosts that passed the filters. '
                     'Names are entry points of "iaas.scheduler.weighers"; '
                     'built in: RAMWeigher, VCPUWeigher, DiskWeigher, '
                     'ServerGroupSoftAffinityWeigher and '
                     'ServerGroupSoftAntiAffinityWeigher (server groups with '
                     'the soft-affinity / soft-anti-affinity policy; they '
                     'only take part in requests of such a group). Each '
                     'weigher\'s value is normalised to 0..1 over the '
                     'candidate hosts, multiplied by its multiplier and '
                     'summed; the highest total wins.'),
    cfg.FloatOpt('ram_weight_multiplier', default=1.0,
                 help='Multiplier of RAMWeigher (free RAM). Positive spreads '
                      'instances over hosts (most free RAM first), negative '
                      'stacks them (fill one host before the next).'),
    cfg.FloatOpt('cpu_weight_multiplier', default=1.0,
                 help='Multiplier of VCPUWeigher (free vCPUs). Positive '
                      'spreads, negative stacks.'),
    cfg.FloatOpt('disk_weight_multiplier', default=1.0,
                 help='Multiplier of DiskWeigher (free disk). Positive '
                      'spreads, negative stacks.'),
    cfg.FloatOpt('soft_affinity_weight_multiplier', default=1.0, min=0.0,
                 help='Multiplier of ServerGroupSoftAffinityWeigher: how much '
                      'a soft-affinity group prefers hosts with its members.'),
    cfg.FloatOpt('soft_anti_affinity_weight_multiplier', default=1.0, min=0.0,
                 help='Multiplier of ServerGroupSoftAntiAffinityWeigher: how '
                      'much a soft-anti-affinity group avoids hosts with its '
                      'members.'),
    cfg.IntOpt('host_subset_size', default=1, min=1,
               help='Pick the host at random among this many best-weighed '
                    'hosts. 1 always takes the best one; larger values '
                    'reduce collisions between concurrent schedulers.'),
    cfg.FloatOpt('host_state_cache_seconds', default=1.0, min=0.0, max=60.0,
                 help='Reuse the host states read from the database for this many '
                      'seconds between builds (each decision consumes what it '
                      'placed on the cached states, as Nova\'s host manager does) '
                      'instead of reading every host again for each build: at '
                      '1,000 hosts that read is most of a decision. One thread '
                      'reads at a time while the others decide on the states they '
                      'have. Claims stay atomic in the database and check that the '
                      'host\'s service is enabled and not forced down; a claim lost '
                      'to a stale state, or no host found, is retried on fresh '
                      'states. A host added, or an availability zone changed, shows '
                      'up that much later. 0: read every host for each build.'),
    cfg.IntOpt('max_attempts', default=3, min=1,
               help='Hosts tried for one instance: a build that fails on a '
                    'host is rescheduled to another until this many hosts '
                    'were tried, then the instance goes to ERROR with a fault.'),
    cfg.FloatOpt('cpu_allocation_ratio', default=16.0, min=0.0,
                 help='Virtual CPUs per physical CPU a compute node offers. '
                      'Read by iaas-compute when it reports its resources '
                      '(stored on the compute node row).'),
    cfg.FloatOpt('ram_allocation_ratio', default=1.5, min=0.0,
                 help='Virtual RAM per physical RAM a compute node offers '
                      '(reported by iaas-compute, stored on the node row).'),
    cfg.FloatOpt('disk_allocation_ratio', default=1.0, min=0.0,
                 help='Virtual disk per physical disk a compute node offers '
                      '(reported by iaas-compute, stored on the node row).'),
]


def register_opts(conf):
    conf.register_group(scheduler_group)
    conf.register_opts(scheduler_opts, group=scheduler_group)


def list_opts():
    return {scheduler_group: scheduler_opts}
