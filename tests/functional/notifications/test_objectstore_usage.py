"""The object store's usage events, read off the bus: the traffic a real proxy
counts (requests, bytes served out per account per period) and the bytes
each account stores, reported once per account by the node of its first
primary."""
import requests

from iaas import notifications
from iaas.objectstore import usage
from tests.functional.compute.conftest import wait_for
from tests.functional.notifications.conftest import Events
from tests.functional.objectstore.conftest import Store


def test_traffic_and_usage_per_account(conf, tmp_path):
    conf.set_override('transport_url', 'memory://')
    notifications.reset()
    usage.traffic.drain()            # what earlier tests of this process counted
    events = Events()
    store = Store(tmp_path, in_process=True)
    try:
        token, url = store.token()
        account = url.rsplit('/', 1)[1]
        h = {'X-Auth-Token': token}
        assert requests.put(f'{url}/c', headers=h, timeout=30).status_code == 201
        body = b'0123456789' * 1000
        assert requests.put(f'{url}/c/o', data=body, headers=h, timeout=30).status_code == 201
        for _ in range(2):
            r = requests.get(f'{url}/c/o', headers=h, timeout=30)
            assert r.status_code == 200 and r.content == body
        # refused: not the account's traffic
        assert requests.get(f'{url}/c/o', headers={'X-Auth-Token': 'bad'},
                            timeout=30).status_code == 401
        assert usage.flush_traffic() == {'accounts': 1}
        assert notifications.flush(15)
        [traffic] = [m for m in events.drain()
                     if m['event_type'] == 'objectstore.account.traffic']
        p = traffic['payload']
        assert p['resource_id'] == account and p['resource_type'] == 'object_account'
        assert p['requests'] == 4 and p['bytes_out'] >= 2 * len(body)
        assert p['period_start'] < p['period_end'] == p['at'] and p['state'] == 'present'

        # the account's totals reach its database (container updates are async)
        wait_for(lambda: requests.head(url, headers=h, timeout=30).headers.get(
            'X-Account-Bytes-Used') == str(len(body)), what='account totals')
        reported = sum(usage.report_usage(store.ring, devices=devroot, ip='127.0.0.1',
                                          port=port)['accounts']
                       for devroot, port in store.nodes)
        assert reported == 1        # three copies, one report
        assert notifications.flush(15)
        [gauge] = [m for m in events.drain() if m['event_type'] == 'objectstore.account.usage']
        assert gauge['payload']['resource_id'] == account
        assert gauge['payload']['bytes_used'] == len(body)
        assert gauge['payload']['project_id'] == account[len('AUTH_'):]
    finally:
        store.stop()
        events.close()
        notifications.reset()
