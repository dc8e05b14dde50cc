"""Concurrent server-group creates of one project respect its quota on each DB
(and never deadlock on the lock row's first creation)."""
import threading

from iaas.db import quotas
from iaas.db import server_groups as db


def test_concurrent_group_creates_stop_at_quota(conf, db_url):
    quotas.set_limits('p-sg', {'server_groups': 5})
    results, errors = [], []

    def create(i):
        try:
            results.append(db.create('p-sg', 'u1', f'g{i}', 'anti-affinity'))
        except quotas.QuotaExceeded:
            errors.append(i)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 5 and len(errors) == 7
    assert len(db.list_('p-sg')) == 5
