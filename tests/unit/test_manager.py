from iaas import manager


class M(manager.Manager):
    def __init__(self):
        super().__init__('h')
        self.runs = []

    @manager.periodic_task(spacing=10, run_immediately=True)
    def fast(self, context):
        self.runs.append('fast')

    @manager.periodic_task(spacing=lambda: 100)
    def slow(self, context):
        self.runs.append('slow')

    @manager.periodic_task(spacing=5, run_immediately=True)
    def broken(self, context):
        raise RuntimeError('a failing task must not stop the others')


def test_periodic_tasks_run_when_due():
    m = M()
    idle = m.run_periodic_tasks(now=0)
    assert m.runs == ['fast']
    assert 0 < idle <= 100
    m.run_periodic_tasks(now=1)
    assert m.runs == ['fast']
    m._next_run = {k: 0 for k in m._next_run}
    m.run_periodic_tasks(now=1)
    assert sorted(m.runs) == ['fast', 'fast', 'slow']
