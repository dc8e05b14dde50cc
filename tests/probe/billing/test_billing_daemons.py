"""Metering with the daemons as processes over RabbitMQ and PostgreSQL:
iaas-api, iaas-image, iaas-scheduler, iaas-conductor, iaas-compute (fake
driver) emit usage events; iaas-billing stores them; the rating API of
iaas-api shows the server's usage and a draft invoice priced by the price
an operator set through it; iaas-billing killed while a server starts and
stops loses nothing (the events wait in the durable queue)."""
import datetime
import decimal

import pytest
import requests

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow


def _rating(cc, rest, method, path, **kw):
    url = f'http://127.0.0.1:{cc.cloud.ports["rating_port"]}{path}'
    return requests.request(method, url, headers={'X-Auth-Token': rest.token}, timeout=30,
                            **kw)


def test_usage_reaches_the_invoice_through_the_daemons(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('bill1',),
                             sections={'billing': {'reconcile_interval': 0}})
    try:
        cc.cloud.start('iaas-billing', wait_port=False)
        rest = Rest(cc.cloud)
        image = rest.upload_image()
        flavor = rest.create_flavor('bill.small', 256)
        r = _rating(cc, rest, 'POST', '/v1/prices', json={'price': {
            'meter': 'instance.running', 'price_key': 'bill.small', 'unit_price': '3600.00',
            'effective_from': '2000-01-01T00:00:00Z'}})
        assert r.status_code == 201, r.text
        r = rest.post('/servers', {'server': {'name': 'metered', 'imageRef': image,
                                              'flavorRef': flavor, 'networks': 'none'}})
        assert r.status_code == 202, r.text
        sid = r.json()['server']['id']
        rest.wait_status(sid, ('ACTIVE',))
        cc.cloud.kill('iaas-billing')                # events keep coming meanwhile
        assert rest.post(f'/servers/{sid}/action', {'os-stop': None}).status_code == 202
        rest.wait_status(sid, ('SHUTOFF',))
        cc.cloud.start('iaas-billing', key='iaas-billing-2', wait_port=False)
        period = datetime.datetime.now(datetime.UTC).strftime('%Y-%m')
        path = f'/v1/projects/{rest.project_id}'

        def billed():
            rows = _rating(cc, rest, 'GET', f'{path}/resources?all=true').json()['resources']
            return next((h for h in rows if h['resource_id'] == sid
                         and h['state'] == 'stopped'), None)
        deadline_poll(billed, 30, what='billing saw the stop')
        inv = _rating(cc, rest, 'GET', f'{path}/invoices/{period}').json()['invoice']
        lines = [ln for ln in inv['lines'] if ln['resource_id'] == sid]
        running = [ln for ln in lines if ln['meter'] == 'instance.running']
        assert running and decimal.Decimal(running[0]['amount']) > 0     # 1.00 per second
        assert inv['state'] == 'draft'
        pdf = _rating(cc, rest, 'GET', f'{path}/invoices/{period}/download?format=pdf')
        assert pdf.status_code == 200 and pdf.content.startswith(b'%PDF-')
    finally:
        cc.stop(check_logs=False)
