"""Billing tests: a fresh database of each kind (``db_url``), EUR with 20 %
tax, and a clock the test moves."""
import datetime

import pytest

from iaas.billing import clock


@pytest.fixture
def billing(conf, db_url):
    conf.set_override('tax_rate', '0.20', group='billing')
    conf.set_override('currency', 'EUR', group='billing')
    fake = clock.FakeClock(datetime.datetime(2025, 3, 1))
    old = clock.set_clock(fake)
    yield fake
    clock.set_clock(old)
    for name in ('tax_rate', 'currency'):
        conf.clear_override(name, group='billing')
