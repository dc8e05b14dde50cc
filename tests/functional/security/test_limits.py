"""Per-user write rate limit of every API (429 with Retry-After)."""
from iaas.api import ratelimit


def test_writes_are_rate_limited_per_user(security_cloud, conf):
    c = security_cloud
    conf.set_override('user_write_rate', 0.5, group='api')
    conf.set_override('user_write_burst', 3, group='api')
    ratelimit.reset()
    try:
        token = c.tokens['other_member']
        statuses = [c.call('network', 'POST', '/v2.0/security-groups', token,
                           {'security_group': {'name': f'g{i}'}}).status for i in range(4)]
        assert statuses == [201, 201, 201, 429]
        r = c.call('compute', 'POST', '/v2.1/os-keypairs', token,
                   {'keypair': {'name': 'k'}})
        assert r.status == 429 and int(r.headers['Retry-After']) >= 1    # every API
        assert r.json['overLimit']['code'] == 429                        # in its format
        # reads are not counted, and another user has its own budget
        assert c.call('network', 'GET', '/v2.0/security-groups', token).status == 200
        assert c.call('network', 'POST', '/v2.0/security-groups', c.tokens['victim'],
                      {'security_group': {'name': 'mine'}}).status == 201
    finally:
        conf.clear_override('user_write_burst', group='api')
        ratelimit.reset()
