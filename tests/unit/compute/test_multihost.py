"""The batching of iaas/compute/multihost.py: one host_reports call per
chunk of hosts, hosts whose row vanished registered again, requests routed
to the manager their routing key names."""
import types
from unittest import mock

import pytest

from iaas.compute import multihost


class FakeConductor:
    def __init__(self, host, log):
        self.host, self.log = host, log

    def signed_report(self, method, **args):
        return {'from': self.host, 'method': method, 'args': args}

    def host_reports(self, context, reports):
        self.log.append(reports)
        return {'missing': [r['args']['service_id'] for r in reports
                            if r['args'].get('service_id') == 3], 'refused': []}

    def service_register(self, context, host, binary, topic):
        self.log.append(('register', host, binary, topic))
        return {'id': 100}


def fake_managers(n, log):
    return [types.SimpleNamespace(host=h, conductor=FakeConductor(h, log),
                                  resource_report=lambda h=h: {'host': h, 'node': h,
                                                               'resources': {}})
            for h in multihost.host_names('mh', n)]


def service(n, log):
    svc = multihost.MultiHostService(None, transport=mock.Mock(), report_interval=1,
                                     managers=fake_managers(n, log))
    svc.service_ids = {m.host: i + 1 for i, m in enumerate(svc.managers)}
    return svc


def test_names_and_chunks():
    assert multihost.host_names('sim0', 3) == ['sim0-0001', 'sim0-0002', 'sim0-0003']
    assert [len(c) for c in multihost.chunks(list(range(1201)), 500)] == [500, 500, 201]
    assert multihost.chunks([]) == []


def test_heartbeats_go_in_chunks_and_vanished_rows_register_again(conf, monkeypatch):
    monkeypatch.setattr(multihost, 'CHUNK', 4)
    log = []
    svc = service(10, log)
    svc.transport.share_publisher.assert_called_once_with()
    assert svc.heartbeat() == 10
    calls = [c for c in log if isinstance(c, list)]
    assert [len(c) for c in calls] == [4, 4, 2]
    assert [e['args']['service_id'] for c in calls for e in c] == list(range(1, 11))
    # each entry is made (signed) by its own host's client
    assert all(e['from'] == f'mh-{e["args"]["service_id"]:04d}' for c in calls for e in c)
    # service id 3 was missing: mh-0003 registered again and got its new id
    assert ('register', 'mh-0003', 'iaas-compute', 'compute') in log
    assert svc.service_ids['mh-0003'] == 100
    svc.pool.shutdown()


def test_resource_reports_are_batched_too(conf):
    log = []
    svc = service(3, log)
    svc.report_resources()
    assert len(log) == 1 and [e['method'] for e in log[0]] == ['compute_node_report'] * 3
    assert [e['args']['host'] for e in log[0]] == ['mh-0001', 'mh-0002', 'mh-0003']
    # the per-host periodic task is left to the batch
    assert all(m.batched_tasks == {'report_resources'} for m in svc.managers)
    svc.pool.shutdown()


def test_requests_go_to_the_host_their_key_names(conf):
    log = []
    managers = fake_managers(3, log)
    server = multihost.MultiHostRPCServer(managers, transport=mock.Mock(exchange_name='ex'))
    msg = types.SimpleNamespace(delivery_info={'routing_key': 'compute.mh-0002'})
    assert server.endpoint_for(msg) is managers[1]
    # the topic's shared queue (no host): the first host serves it
    assert server.endpoint_for(types.SimpleNamespace(delivery_info={
        'routing_key': 'compute'})) is managers[0]
    names = [q.name for q in server.queues()]
    assert names == ['ex.compute', 'ex.compute.mh-0001', 'ex.compute.mh-0002',
                     'ex.compute.mh-0003']
    server._pool.shutdown()


def test_only_with_the_fake_driver_and_derived_keys(conf):
    from iaas.cmd import daemons
    from iaas.service import Launcher
    conf.set_override('hosts', 2, group='fake_driver')
    conf.set_override('compute_driver', 'libvirt', group='compute')
    with pytest.raises(ValueError, match='compute_driver = fake'):
        daemons.build_compute(Launcher())
    conf.set_override('compute_driver', 'fake', group='compute')
    conf.set_override('compute_key', 'one-host-key', group='conductor')
    with pytest.raises(ValueError, match='compute_key'):
        daemons.build_compute(Launcher())
