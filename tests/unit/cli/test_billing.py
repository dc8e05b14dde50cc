"""``iaas cost``, ``iaas invoice …``, ``iaas budget …`` and the prices of
``iaas flavor list`` against the real rating API in this process."""
import datetime as dt
import decimal
import json

from iaas.billing import prices


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def test_flavor_list_shows_the_hourly_price(real, flavors, real_user, run):
    prices.set_price('instance.running', '0.0250', _now() - dt.timedelta(days=1), 'm1.small')
    prices.set_price('instance.running', '0.0100', _now() - dt.timedelta(days=1), '*')
    rc, out, err = run('flavor', 'list', '-f', 'json')
    assert rc == 0, err
    rows = {r['Name']: r['Price/hour'] for r in json.loads(out)}
    price, cur = rows['m1.small'].split()
    assert decimal.Decimal(price) == decimal.Decimal('0.025') and cur == prices.currency()
    assert all(decimal.Decimal(v.split()[0]) == decimal.Decimal('0.01')
               for k, v in rows.items() if k != 'm1.small')
    assert real.calls('rating', 'GET', '/v1/prices')


def test_budget_invoice_and_cost(real, real_user, run, tmp_path):
    rc, _out, err = run('budget', 'show')
    assert rc == 1 and 'no budget' in err
    rc, out, err = run('budget', 'set', '25.50', '--enforce', '-f', 'json')
    assert rc == 0, err
    shown = json.loads(out)
    assert shown['Amount'] == '25.5' or shown['Amount'].startswith('25.5')
    assert shown['Enforced'] is True
    (put,) = real.calls('rating', 'PUT', f'/v1/projects/{real_user.project_id}/budget')
    assert put[5] == {'budget': {'amount': '25.50', 'enforce': True}}
    rc, out, err = run('budget', 'set', 'lots')
    assert rc == 1 and 'HTTP 400' in err
    rc, out, err = run('cost', '-f', 'json')
    assert rc == 0, err
    cost = json.loads(out)
    assert cost['State'] == 'draft' and 'Budget' in cost and 'enforced' in cost['Budget']
    rc, out, err = run('invoice', 'list', '-f', 'json')
    assert rc == 0 and [i['State'] for i in json.loads(out)] == ['draft']
    rc, out, err = run('invoice', 'show', '-f', 'json')
    assert rc == 0 and json.loads(out)['state'] == 'draft'
    target = tmp_path / 'inv.pdf'
    rc, out, err = run('invoice', 'download', '--file', str(target))
    assert rc == 0, err
    assert target.read_bytes().startswith(b'%PDF-') and target.stat().st_mode & 0o077 == 0
    rc, out, err = run('invoice', 'download', '--as', 'csv', '--file', '-')
    assert rc == 0 and out.startswith('invoice_id,project_id')
    rc, _out, err = run('invoice', 'show', '2026-13')
    assert rc == 1 and 'YYYY-MM' in err
    assert run('budget', 'delete')[0] == 0
    assert run('budget', 'show')[0] == 1


def test_usage_by_meter_and_by_resource(real, real_user, run):
    from iaas.billing import events, ingest
    # The first day of last month: wholly in the past whatever today is.
    this_month = _now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    day1 = (this_month - dt.timedelta(days=1)).replace(day=1)

    def env(event_type, rid, state, when):
        payload = {'resource_type': 'instance', 'resource_id': rid,
                   'project_id': real_user.project_id, 'user_id': 'u1', 'state': state,
                   'at': events.format_time(when), 'flavor_name': 'm1.small',
                   'flavor_id': '2', 'vcpus': 1, 'memory_mb': 2048, 'root_gb': 20}
        return events.envelope(f'compute.instance.{event_type}', payload,
                               f'm-{rid}-{event_type}', when, publisher_id='test')
    # Two servers, each running 6 hours on the month's first day.
    ingest.ingest([env('create.end', 'srv-a', 'active', day1),
                   env('delete.end', 'srv-a', 'deleted', day1 + dt.timedelta(hours=6)),
                   env('create.end', 'srv-b', 'active', day1 + dt.timedelta(hours=1)),
                   env('delete.end', 'srv-b', 'deleted', day1 + dt.timedelta(hours=7))])
    start = day1.strftime('%Y-%m-%d')
    end = (day1 + dt.timedelta(days=1)).strftime('%Y-%m-%d')
    rc, out, err = run('usage', '--meters', '--start', start, '--end', end, '-f', 'json')
    assert rc == 0, err
    rows = [r for r in json.loads(out) if r['Meter'] == 'instance.running']
    assert [(r['Day'], decimal.Decimal(r['Quantity']), r['Unit']) for r in rows] == [
        (start, decimal.Decimal(12), 'hour')]
    rc, out, err = run('usage', '--meters', '--by', 'resource', '--type', 'instance',
                       '--start', start, '--end', end, '-f', 'json')
    assert rc == 0, err
    rows = {r['Resource']: decimal.Decimal(r['Quantity']) for r in json.loads(out)
            if r['Meter'] == 'instance.running'}
    assert rows == {'srv-a': 6, 'srv-b': 6}
    assert real.calls('rating', 'GET', f'/v1/projects/{real_user.project_id}/usage')
    rc, _out, err = run('usage', '--meters', '--start', '2026-01-01', '--end', '2026-06-01')
    assert rc == 1 and '93 days' in err
