"""[notifications] options: the usage events every service emits on the bus
(iaas/notifications.py; docs/developers/notifications.md)."""
from oslo_config import cfg

notifications_group = cfg.OptGroup(
    'notifications', title='Usage notifications',
    help='Every service emits usage events (instance, volume, snapshot, image, '
         'floating IP, object store) in the OpenStack notification envelope on '
         'the topic exchange, routing key <topic>.info, into the durable queue '
         '<control_exchange>.<topic>.info that iaas-billing (or any other '
         'consumer) reads. Events are handed to a background sender: a slow or '
         'absent bus never delays the request or the boot that emits them.')

notifications_opts = [
    cfg.StrOpt('driver', default='messaging', choices=['messaging', 'noop'],
               help='"messaging": publish usage events on the bus '
                    '([DEFAULT] transport_url); "noop": emit nothing (the billing '
                    "daemon's reconciliation then has only the resources' state "
                    'to go by).'),
    cfg.ListOpt('topics', default=['notifications'],
                help='Topics the events are published to, each as routing key '
                     '<topic>.info into the durable queue '
                     '<control_exchange>.<topic>.info (one copy per topic).'),
    cfg.IntOpt('max_queued', default=10000, min=1,
               help='Events a process holds while the bus is slow or away; '
                    'past this, new events are dropped with a warning (the '
                    "billing daemon's reconciliation repairs what they would "
                    'have said) rather than holding up the caller.'),
    cfg.IntOpt('publish_timeout', default=30, min=1,
               help='Seconds the background sender keeps retrying one event '
                    'while the bus is unreachable before it drops it (logged).'),
    cfg.IntOpt('objectstore_usage_interval', default=3600, min=1,
               help='Seconds between two objectstore.account.usage gauges '
                    '(bytes stored per account, from the account databases '
                    'of the storage devices of this node).'),
    cfg.IntOpt('objectstore_traffic_interval', default=300, min=1,
               help='Seconds between two objectstore.account.traffic events of '
                    'a proxy (requests and bytes served out per account, '
                    'counted in memory and flushed once per period).'),
]


def register_opts(conf):
    conf.register_group(notifications_group)
    conf.register_opts(notifications_opts, group=notifications_group)


def list_opts():
    return {notifications_group: notifications_opts}
