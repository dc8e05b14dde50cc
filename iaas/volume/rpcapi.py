"""Client side of the iaas-volume RPC API: the only place naming its topic and methods."""
from iaas import rpc

TOPIC = 'volume'


class VolumeAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'
