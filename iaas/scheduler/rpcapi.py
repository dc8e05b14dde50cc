"""Client side of the iaas-scheduler RPC API: the only place naming its topic and methods."""
from iaas import rpc

TOPIC = 'scheduler'


class SchedulerAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'
