"""The billing daemon "stopped" for six simulated hours while servers stop,
start, appear and go, their events lost: reconciliation against the
database gives the invoice the events would have given, records each
correction with its reason, and the lost events arriving late change
nothing."""
import datetime

from iaas.billing import api, ingest, reconcile
from iaas.db import billing as db
from iaas.db.engine import transaction
from iaas.db.models import Instance
from iaas.db.volume_models import Volume
from tests.functional.billing import scenario as sc

P = 'p-rec'


def _instance(uuid, state, launched, updated=None, deleted_at=None, flavor='m1.small'):
    with transaction() as s:
        row = Instance(uuid=uuid, project_id=P, user_id='u1', vm_state=state,
                       flavor={'name': flavor, 'flavorid': sc.FLAVORS[flavor]['flavor_id']},
                       vcpus=1, memory_mb=2048, root_gb=20, launched_at=launched,
                       created_at=launched, updated_at=updated or launched,
                       deleted_at=deleted_at, host='h1')
        s.add(row)
        s.flush()
        if deleted_at:
            row.deleted = row.id


def _set(uuid, **values):
    with transaction() as s:
        row = s.query(Instance).filter_by(uuid=uuid).one()
        for k, v in values.items():
            setattr(row, k, v)
        if values.get('vm_state') == 'deleted':
            row.deleted = row.id


def test_outage_reconciled(billing):
    sc.set_prices(billing)
    start = sc.at(1)
    for uuid in ('srv-c', 'srv-d', 'srv-g'):
        _instance(uuid, 'active', start)
    ingest.ingest([sc.server('create.end', u, 'active', start, 'm1.small', project=P)
                   for u in ('srv-c', 'srv-d', 'srv-g')])
    billing.set(sc.at(9))
    with transaction() as s:   # a volume whose events never came
        s.add(Volume(uuid='vol-r', project_id=P, user_id='u1', size=10, status='available',
                     launched_at=sc.at(2), created_at=sc.at(2), updated_at=sc.at(2)))
    first = reconcile.run()
    assert (first['opened'], first['changed'], first['closed']) == (1, 0, 0)
    assert first['corrections'][0]['resource_id'] == 'vol-r'
    assert first['corrections'][0]['at'] == sc.at(2)

    # the daemon is down from 10 March 00:00 to 06:00; these events are lost
    lost = [sc.server('power_off.end', 'srv-d', 'stopped', sc.at(10, 1), 'm1.small', P),
            sc.server('power_off.end', 'srv-c', 'stopped', sc.at(10, 2), 'm1.small', P),
            sc.server('create.end', 'srv-e', 'active', sc.at(10, 3), 'm1.medium', P),
            sc.server('delete.end', 'srv-g', 'deleted', sc.at(10, 4), 'm1.small', P)]
    _set('srv-d', vm_state='stopped', updated_at=sc.at(10, 1))
    _set('srv-c', vm_state='stopped', updated_at=sc.at(10, 2))
    _instance('srv-e', 'active', sc.at(10, 3), flavor='m1.medium')
    _set('srv-g', vm_state='deleted', deleted_at=sc.at(10, 4), updated_at=sc.at(10, 4))
    billing.set(sc.at(10, 6))
    report = reconcile.run()
    assert (report['opened'], report['changed'], report['closed']) == (1, 2, 1)
    shown = {c['resource_id']: (c['action'], c['at'], c['reason'])
             for c in api.corrections(None, project_id=P)}
    assert shown['srv-g'][:2] == ('close', sc.at(10, 4))
    assert 'deleted_at' in shown['srv-g'][2]
    assert shown['srv-e'][:2] == ('open', sc.at(10, 3))
    assert shown['srv-d'][:2] == ('change', sc.at(10, 1))
    # a second run finds nothing to do
    again = reconcile.run()
    assert (again['opened'], again['changed'], again['closed']) == (0, 0, 0)

    billing.set(datetime.datetime(2025, 4, 1, 2))
    inv = api.invoice_show(None, P, sc.PERIOD)
    hours = {(ln['resource_id'], ln['meter']): ln['quantity'] for ln in inv['lines']}
    assert hours == {
        ('srv-c', 'instance.running'): 218, ('srv-c', 'instance.stopped'): 526,
        ('srv-d', 'instance.running'): 217, ('srv-d', 'instance.stopped'): 527,
        ('srv-e', 'instance.running'): 525, ('srv-g', 'instance.running'): 220,
        ('vol-r', 'volume.size'): 10 * 720}
    # the lost events arrive late after all: counted, and nothing changes
    out = ingest.ingest(lost)
    assert out['stored'] == 4
    later = api.invoice_show(None, P, sc.PERIOD)
    assert later['lines'] == inv['lines'] and later['total'] == inv['total']
    assert [(i['state'], i['start_at'], i['end_at']) for i in db.intervals_of(
        'instance', 'srv-d')] == [('active', start, sc.at(10, 1)),
                                   ('stopped', sc.at(10, 1), None)]
