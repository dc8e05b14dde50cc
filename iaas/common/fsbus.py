"""kombu's ``filesystem://`` transport, made safe for several processes.

kombu's channel creates a ``*.msg`` file and then writes it, so a consumer
in another process can take the file while it is still empty and fail to
decode it. Here a message is written under a temporary name and renamed
into place: a consumer sees whole messages or none.
"""
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = '{}_{}.{}.msg'.format(int(round(monotonic() * 1000)), uuid.uuid4(), queue)
        final = os.path.join(self.data_folder_out, name)
        tmp = os.path.join(self.data_folder_out, '.tmp-' + name + '.part')
        with open(tmp, 'wb') as f:
            f.write(str_to_bytes(dumps(payload)))
        os.rename(tmp, final)


class Transport(filesystem.Transport):
    Channel = Channel
