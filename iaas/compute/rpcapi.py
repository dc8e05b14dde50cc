"""Client side of the iaas-compute RPC API: the only place naming its topic and methods."""
from iaas import rpc

TOPIC = 'compute'


class ComputeAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'
