"""Budget enforcement where resources are made: a project that spent 100 %
of an enforced budget gets 403 on new servers, images, volumes and floating
IPs (its running
server is untouched); an unenforced budget only alerts; other projects are
unaffected."""
import dataclasses
import datetime
import uuid

import pytest

from iaas import states
from iaas.billing import api as billing
from iaas.billing import budgets, enforcement, events, ingest, prices
from iaas.compute import api as compute_api
from iaas.db import instances as db
from iaas.exception import BudgetExceeded
from iaas.image import api as image_api
from iaas.network import api as network_api
from iaas.volume import api as volume_api
from tests.functional.compute.conftest import wait_for


def _spend(project_id, hours):
    """A running func.small server of ``project_id`` for ``hours`` until now."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    start = now - datetime.timedelta(hours=hours)
    prices.set_price('instance.running', '1.00', start - datetime.timedelta(days=1),
                     'func.small', now=start - datetime.timedelta(days=1))
    payload = {'resource_type': 'instance', 'resource_id': str(uuid.uuid4()),
               'project_id': project_id, 'user_id': None, 'state': 'active',
               'at': events.format_time(start), 'flavor_id': 'func-1',
               'flavor_name': 'func.small', 'vcpus': 1, 'memory_mb': 256, 'root_gb': 1}
    ingest.ingest([events.envelope('compute.instance.create.end', payload,
                                   str(uuid.uuid4()), start)])


@pytest.mark.parametrize('enforce', [True, False])
def test_new_resources_refused_over_an_enforced_budget(compute_services, conf, ctx, image,
                                                       flavor, enforce):
    conf.set_override('enforcement_cache', 0, group='billing')
    enforcement.reset()
    api = compute_api.API()
    running = api.create(ctx, 'before', image, flavor)[0][0]['uuid']
    wait_for(lambda: db.get(running)['vm_state'] == states.ACTIVE, what='ACTIVE')
    billing.budget_set(None, ctx.project_id, '1.00', enforce=enforce)
    _spend(ctx.project_id, hours=3)                     # 3.00 of a 1.00 budget
    fired = budgets.check(publish=False)
    assert [a['level'] for a in fired if a['project_id'] == ctx.project_id] == [50, 80, 100]
    assert billing.over_budget(ctx.project_id) is enforce
    if enforce:
        with pytest.raises(BudgetExceeded) as e:
            api.create(ctx, 'after', image, flavor)
        assert e.value.code == 403 and '100 % of its monthly budget' in str(e.value)
        with pytest.raises(BudgetExceeded):
            image_api.image_create({'owner': ctx.project_id, 'name': 'x',
                                    'visibility': 'private'})
        with pytest.raises(BudgetExceeded):
            volume_api.API().create(ctx, size=1)
        with pytest.raises(BudgetExceeded):
            network_api.floatingip_create(ctx, 'any-network', ctx.project_id)
    else:
        made = api.create(ctx, 'after', image, flavor)[0][0]['uuid']
        wait_for(lambda: db.get(made)['vm_state'] == states.ACTIVE, what='ACTIVE')
    # what runs is untouched; another project is not affected
    api.action(ctx, running, 'stop')
    wait_for(lambda: db.get(running)['vm_state'] == states.STOPPED, what='stopped')
    other = dataclasses.replace(ctx, project_id='proj-other-budget')
    made = api.create(other, 'other', image, flavor)[0][0]['uuid']
    wait_for(lambda: db.get(made)['vm_state'] == states.ACTIVE, what='other ACTIVE')
    # raising the budget lifts the refusal (at the next budget check)
    billing.budget_set(None, ctx.project_id, '100.00', enforce=enforce)
    assert not billing.over_budget(ctx.project_id)
    api.create(ctx, 'raised', image, flavor)
