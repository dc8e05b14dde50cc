"""Client side of the iaas-network RPC API: the only place naming its topic and methods."""
from iaas import rpc

TOPIC = 'network'


class NetworkAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'
