"""End to end in one process over the bus: the compute services emit usage
events as a server boots, stops, starts and is deleted; the billing
manager consumes them; its instance-hours agree with the compute API's
os-simple-tenant-usage (what ``openstack usage show`` prints)."""
import datetime
import decimal

from iaas import states
from iaas.billing import api as billing
from iaas.billing.manager import BillingManager
from iaas.compute import api as compute_api
from iaas.compute import usage as compute_usage
from iaas.db import billing as db_billing
from iaas.db import instances as db
from tests.functional.compute.conftest import wait_for

INSTANCE_METERS = {'instance.running', 'instance.stopped', 'instance.suspended',
                   'instance.shelved'}


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def test_billing_instance_hours_agree_with_simple_tenant_usage(compute_services, conf, ctx,
                                                               image, flavor):
    conf.set_override('reconcile_interval', 0, group='billing')
    mgr = BillingManager('billing-e2e')
    mgr.init_host()
    assert mgr.wait_ready(30)
    try:
        t0 = _now()
        api = compute_api.API()
        uuid = api.create(ctx, 'metered', image, flavor)[0][0]['uuid']
        wait_for(lambda: db.get(uuid)['vm_state'] == states.ACTIVE, what='ACTIVE')
        api.action(ctx, uuid, 'stop')
        wait_for(lambda: db.get(uuid)['vm_state'] == states.STOPPED, what='STOPPED')
        api.action(ctx, uuid, 'start')
        wait_for(lambda: db.get(uuid)['vm_state'] == states.ACTIVE, what='ACTIVE again')
        api.delete(ctx, uuid)
        wait_for(lambda: db.get(uuid, include_deleted=True)['vm_state'] == states.DELETED,
                 what='deleted')

        def closed():
            heads = {h['resource_id']: h for h in billing.resources(None, ctx.project_id,
                                                                     live_only=False)}
            head = heads.get(uuid)
            return head is not None and head['state'] == 'deleted'
        wait_for(closed, timeout=30, what='billing saw the delete')
    finally:
        mgr.cleanup_host()
    t1 = _now() + datetime.timedelta(seconds=1)
    rows = billing.usage(None, ctx.project_id, t0 - datetime.timedelta(hours=1), t1,
                         bucket='hour')
    billed = sum((decimal.Decimal(r['quantity']) for r in rows
                  if r['resource_id'] == uuid and r['meter'] in INSTANCE_METERS),
                 decimal.Decimal(0))
    by_state = {r['meter'] for r in rows if r['resource_id'] == uuid}
    assert {'instance.running', 'instance.stopped'} <= by_state
    (nova,) = [h for inst, h, _gb in compute_usage.instance_usage(
        ctx.project_id, t0 - datetime.timedelta(hours=1), t1) if inst['uuid'] == uuid]
    # the same seconds, to within two (MariaDB keeps launched_at and
    # terminated_at in whole seconds; the events carry exact times)
    assert abs(float(billed) - nova) * 3600 < 2.0, (billed, nova)
    assert db_billing.event_count() >= 4
