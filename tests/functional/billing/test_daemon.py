"""Real envelopes over the bus (memory, filesystem, RabbitMQ) to the running
billing manager; it stops while events keep coming (they wait in the
durable queue), starts again, and the invoice is the hand-computed one,
with every event sent twice counted once."""
import datetime
import time

from iaas import rpc
from iaas.billing import api, consumer, events
from iaas.billing.manager import BillingManager
from iaas.db import billing as db
from tests.functional.billing import scenario as sc


def _publish(bodies):
    t = rpc.get_transport()
    queue = consumer.notifications_queue(t)
    deadline = time.monotonic() + 30
    for body in bodies:
        t.publish(body, t.exchange, events.ROUTING_KEY, deadline, declare=[t.exchange, queue])


def _wait_events(n, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if db.event_count() >= n:
            return True
        time.sleep(0.02)   # real delivery over the bus, not billing time
    return False


def _start(clock):
    m = BillingManager('billing-test', clock_=clock)
    m.init_host()
    assert m.wait_ready(30)
    return m


def test_events_over_the_bus(billing, transport_url, conf):
    conf.set_override('reconcile_interval', 0, group='billing')
    sc.set_prices(billing)
    evs = sc.month_events()
    first, rest = evs[:8], evs[8:]
    mgr = _start(billing)
    try:
        _publish(first + first)                       # every event twice
        assert _wait_events(8)
    finally:
        mgr.cleanup_host()                            # the daemon stops
    _publish(rest + list(reversed(rest)))             # … while events keep coming
    assert db.event_count() == 8
    mgr = _start(billing)                             # and starts again
    try:
        assert _wait_events(16)
        end = time.monotonic() + 10
        while mgr.consumer.stats['duplicates'] < 8 and time.monotonic() < end:
            time.sleep(0.02)
        assert db.event_count() == 16
        billing.set(datetime.datetime(2025, 4, 1, 2))
        issued = mgr.close_months()
        assert [i['project_id'] for i in issued] == [sc.PROJECT]
        inv = api.invoice_show(None, sc.PROJECT, sc.PERIOD)
        assert inv['state'] == 'issued' and inv['total'] == sc.TOTAL
        assert sc.line_map(inv) == sc.expected_map()
    finally:
        mgr.cleanup_host()
