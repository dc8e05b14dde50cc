"""An in-process cloud whose usage events are read off the bus: the identity,
compute, volume, network and image REST apps over the ``db_url`` database,
conductor, scheduler, a fake compute host and a file-backend volume host on
``memory://``, and a test consumer on the durable notifications queue (the
queue iaas-billing reads)."""
import collections
import datetime
import json

import pytest
import webob

from iaas import notifications, rpc
from tests.functional.compute.conftest import wait_for
from tests.functional.compute.http import ADMIN_PW, Client
from tests.functional.volume.conftest import BACKEND, VolumeCloud
from tests.inprocess import control_plane, running

# the contract's payload fields, common and per resource type
COMMON = {'resource_type', 'resource_id', 'project_id', 'user_id', 'state', 'at'}
FIELDS = {'instance': {'flavor_id', 'flavor_name', 'vcpus', 'memory_mb', 'root_gb'},
          'volume': {'size_gb', 'volume_type'}, 'snapshot': {'size_gb', 'volume_id'},
          'image': {'size_bytes'}, 'floating_ip': {'floating_ip_address', 'port_id'}}
ENVELOPE = {'message_id', 'publisher_id', 'event_type', 'priority', 'timestamp', 'payload'}


class Events:
    """What a consumer of ``<exchange>.notifications.info`` receives."""

    def __init__(self):
        self.transport = rpc.get_transport()
        self.conn = self.transport.connection()
        self.queue = self.transport.notification_queue()(self.conn.channel())
        self.queue.declare()
        self.seen = []

    def drain(self):
        while True:
            msg = self.queue.get(accept=['json'])
            if msg is None:
                return self.seen
            msg.ack()
            self.seen.append(msg.payload)

    def of(self, resource_id):
        return [m for m in self.drain() if m['payload'].get('resource_id') == resource_id]

    def types(self, resource_id):
        return [m['event_type'] for m in self.of(resource_id)]

    def wait(self, resource_id, event_type, what=None):
        """The one event of this type for the resource, once it came."""
        got = wait_for(lambda: [m for m in self.of(resource_id)
                                if m['event_type'] == event_type],
                       what=what or f'{event_type} of {resource_id}')
        return got[0]

    def settled(self):
        """Everything emitted so far has been published and read."""
        assert notifications.flush(15)
        return self.drain()

    def close(self):
        self.conn.release()


def check_envelope(msg, resource_type):
    """The contract: the envelope, the common fields and the type's own."""
    assert set(msg) == ENVELOPE, msg
    assert msg['priority'] == 'INFO' and '.' in msg['publisher_id']
    datetime.datetime.strptime(msg['timestamp'], '%Y-%m-%d %H:%M:%S.%f')
    p = msg['payload']
    assert COMMON | FIELDS.get(resource_type, set()) <= set(p), p
    assert p['resource_type'] == resource_type
    at = datetime.datetime.fromisoformat(p['at'])
    assert at.utcoffset() == datetime.timedelta(0) and '.' in p['at']
    assert abs(datetime.datetime.now(datetime.UTC) - at) < datetime.timedelta(minutes=5)
    return p


def once_each(events, resource_id):
    return collections.Counter(events.types(resource_id))


class NotifyCloud(VolumeCloud):
    def n(self, method, path, body=None, token=None):
        """A network API call (Neutron v2.0)."""
        return self.network.call(method, path, body, token or self.alice)

    def img(self, method, path, body=None, token=None, raw=None, content_type=None):
        req = webob.Request.blank(path, method=method)
        req.headers['X-Auth-Token'] = token or self.alice
        if raw is not None:
            req.body, req.content_type = raw, content_type or 'application/octet-stream'
        elif body is not None:
            req.body, req.content_type = json.dumps(body).encode(), 'application/json'
        resp = req.get_response(self.glance)
        resp.json_or_none = json.loads(resp.body) if resp.body and \
            resp.content_type == 'application/json' else None
        return resp


@pytest.fixture
def cloud(conf, db_url, tmp_path):
    from iaas import identity
    from iaas.api import ratelimit
    from iaas.api.compute import app as compute_app
    from iaas.api.identity import app as identity_api
    from iaas.api.image import app as image_app
    from iaas.api.network import app as network_app
    from iaas.api.volume import app as volume_app
    from iaas.db import flavors as db_flavors
    from iaas.db import images as db_images
    from iaas.identity import bootstrap
    from iaas.image import stores
    conf.set_override('bcrypt_rounds', 4, group='identity')
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('transport_url', 'memory://')
    conf.set_override('report_interval', 1, group='service')
    conf.set_override('enabled_backends', [BACKEND], group='volume')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'), group='image')
    notifications.reset()
    stores.reset()
    identity.reset_state()
    ratelimit.reset()
    bootstrap.first_start(ADMIN_PW)
    events = Events()      # the queue exists before anything is emitted
    try:
        with running(control_plane('fn-', compute=['fn-c1'], volume=['fn1'])):
            c = NotifyCloud(Client(identity_api.build_app()), Client(compute_app.build_app()))
            c.image = db_images.image_create({
                'name': 'img', 'status': 'active', 'visibility': 'public',
                'disk_format': 'raw', 'container_format': 'bare', 'size': 4096,
                'owner': 'someone'})['id']
            c.flavor = db_flavors.create('n.small', 128, 1, 1, flavorid='n-1')['flavorid']
            c.flavor2 = db_flavors.create('n.large', 256, 2, 2, flavorid='n-2')['flavorid']
            c.volume = Client(volume_app.build_app())
            c.network = Client(network_app.build_app())
            c.glance = image_app.build_app()
            c.admin, c.admin_project = c.token('admin', ADMIN_PW, 'admin')
            c.alice, c.a_project = c.member('alice', 'proj-a')
            c.events = events
            yield c
            notifications.flush(15)
    finally:
        events.close()
        notifications.reset()
        stores.reset()
        identity.reset_state()
        ratelimit.reset()
