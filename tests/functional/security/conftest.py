"""An in-process cloud (identity, compute, network, image APIs on SQLite;
scheduler and a fake compute host on ``memory://``) with attackers and a
victim: see cloud.py."""
import pytest

from iaas.volume.backup import engine as backup_engine
from iaas.volume.backup import memory
from iaas.volume.manager import VolumeManager
from tests.functional.security import cloud as cloud_mod
from tests.inprocess import control_plane, running

VOLATILE = frozenset({'updated', 'updated_at', 'last_seen', 'heartbeat'})


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def snapshot(c):
    """What the victim has, read by the admin (and by the victim itself for
    per-user resources): path → (status, body without volatile fields)."""
    v, a = c.victim, c.admin
    reads = {
        'compute': [f"/v2.1/servers/{v['server_id']}", f"/v2.1/servers/{v['server_id']}/metadata",
                    f"/v2.1/os-quota-sets/{v['project_id']}", f"/v2.1/flavors/{v['flavor_id']}",
                    f"/v2.1/flavors/{v['flavor_id']}/os-flavor-access",
                    f"/v2.1/flavors/{v['flavor_id']}/os-extra_specs",
                    f"/v2.1/os-server-groups/{v['group_id']}", '/v2.1/flavors/detail',
                    f"/v2.1/servers/detail?all_tenants=1&project_id={v['project_id']}"],
        'network': [f"/v2.0/networks/{v['network_id']}", f"/v2.0/subnets/{v['subnet_id']}",
                    f"/v2.0/ports/{v['port_id']}", f"/v2.0/floatingips/{v['floatingip_id']}",
                    f"/v2.0/routers/{v['router_id']}", f"/v2.0/ports?device_id={v['router_id']}",
                    f"/v2.0/security-groups/{v['security_group_id']}",
                    f"/v2.0/ports?network_id={v['network_id']}",
                    f"/v2.0/ports?device_id={v['server_id']}",
                    f"/v2.0/networks?project_id={v['project_id']}",
                    f"/v2.0/security-group-rules?project_id={v['project_id']}"],
        'image': [f"/v2/images/{v['image_id']}", f"/v2/images/{v['image_id']}/members"],
        'volume': [f"/v3/{v['project_id']}/volumes/{v['volume_id']}",
                   f"/v3/{v['project_id']}/snapshots/{v['snapshot_id']}",
                   f"/v3/{v['project_id']}/backups/{v['backup_id']}",
                   f"/v3/{v['project_id']}/types/{v['type_id']}",
                   f"/v3/{v['project_id']}/types/{v['type_id']}/os-volume-type-access",
                   f"/v3/{v['project_id']}/os-quota-sets/{v['project_id']}",
                   f"/v3/{v['project_id']}/os-volume-transfer/{v['transfer_id']}",
                   f"/v3/{v['project_id']}/volumes/{v['transfer_volume_id']}",
                   f"/v3/{v['project_id']}/os-quota-class-sets/default",
                   f"/v3/{v['project_id']}/volumes/detail?all_tenants=1&project_id={v['project_id']}"],
        'identity': [f"/v3/users/{v['user_id']}", f"/v3/projects/{v['project_id']}",
                     f"/v3/role_assignments?user.id={v['user_id']}",
                     f"/v3/users/{v['user_id']}/credentials/OS-EC2",
                     f"/v3/users/{v['user_id']}/application_credentials",
                     f"/v3/credentials/{v['credential_id']}", '/v3/users', '/v3/projects',
                     '/v3/roles', '/v3/domains', '/v3/services', '/v3/endpoints'],
    }
    reads['rating'] = [f"/v1/projects/{v['project_id']}/budget",
                       f"/v1/projects/{v['project_id']}/invoices/{v['prev_period']}",
                       f"/v1/invoices?project_id={v['project_id']}&period={v['prev_period']}",
                       '/v1/prices']
    out = {}
    for api, paths in reads.items():
        for p in paths:
            r = c.call(api, 'GET', p, a)
            out[f'{api} {p}'] = (r.status, _strip(r.json))
    vt = c.tokens['victim']
    out['victim keypairs'] = _strip(c.call('compute', 'GET', '/v2.1/os-keypairs', vt).json)
    out['victim token'] = c.call('identity', 'GET', '/v3/auth/tokens', a,
                                 headers={'X-Subject-Token': vt}).status
    out['image data'] = c.call('image', 'GET', f"/v2/images/{v['image_id']}/file", vt).body
    out['victim message'] = _strip(c.call(
        'volume', 'GET', f"/v3/{v['project_id']}/messages/{v['message_id']}", a,
        headers={'OpenStack-API-Version': 'volume 3.3'}).json)
    for path in (f"groups/{v['volume_group_id']}?list_volume=true",
                 f"group_snapshots/{v['group_snapshot_id']}",
                 f"group_types/{v['group_type_id']}",
                 f"group_types/{v['group_type_id']}/group_specs",
                 f"volumes/{v['group_volume_id']}"):
        out[f'victim {path}'] = _strip(c.call(
            'volume', 'GET', f"/v3/{v['project_id']}/{path}", a,
            headers={'OpenStack-API-Version': 'volume 3.70'}).json)
    return out


@pytest.fixture
def security_cloud(conf, sqlite_db, tmp_path, monkeypatch):
    from iaas import identity
    from iaas.api import ratelimit
    from iaas.image import stores
    conf.set_override('transport_url', 'memory://')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('report_interval', 1, group='service')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'), group='image')
    # The matrix makes a few hundred writes per attacker; the write rate
    # limit has its own test (test_limits.py).
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('enabled_backends', ['file'], group='volume')
    backup_store = memory.MemoryStore()      # backups: the engine's in-memory store
    monkeypatch.setattr(VolumeManager, 'engine_factory', staticmethod(
        lambda: backup_engine.BackupEngine(backup_store, chunk_size=1 << 20)))
    stores.reset()
    ratelimit.reset()
    identity.reset_state()
    try:
        with running(control_plane('sec-', compute=['sec-c1'], volume=['sec-v1'])):
            c = cloud_mod.build(conf)
            c.snapshot = lambda: snapshot(c)
            yield c
    finally:
        stores.reset()
        ratelimit.reset()
        identity.reset_state()
        conf.clear_override('filesystem_store_datadir', group='image')
        conf.clear_override('user_write_rate', group='api')
