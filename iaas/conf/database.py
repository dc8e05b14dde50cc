"""[database] options."""
from oslo_config import cfg

database_group = cfg.OptGroup('database', title='Database options',
                              help='Where the shared SQL state lives.')

database_opts = [
    cfg.StrOpt('connection', secret=True,
               help='SQLAlchemy URL of the database. Unset: the embedded '
                    'SQLite file $state_path/iaas.sqlite. Production: '
                    '"postgresql+psycopg2://USER:PASS@HOST/iaas" or '
                    '"mysql+pymysql://USER:PASS@HOST/iaas?charset=utf8mb4".'),
    cfg.IntOpt('max_pool_size', default=10, min=1,
               help='Connections kept open per process (not SQLite).'),
    cfg.IntOpt('max_overflow', default=20, min=0,
               help='Connections opened beyond the pool under load.'),
    cfg.IntOpt('pool_timeout', default=30, min=1,
               help='Seconds to wait for a free pooled connection.'),
    cfg.FloatOpt('ping_after_idle', default=1.0, min=0.0,
                 help='A pooled connection idle for longer than this many seconds '
                      'is pinged (a round trip) before use, so a connection the '
                      'database dropped is replaced instead of failing a request. '
                      'One in constant use is not: under load most checkouts skip '
                      'the round trip. 0: ping at every checkout (not SQLite).'),
    cfg.BoolOpt('echo', default=False, help='Log every SQL statement.'),
]


def register_opts(conf):
    conf.register_group(database_group)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return {database_group: database_opts}
