from iaas.api.ratelimit import TokenBuckets


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_burst_then_rate():
    clock = Clock()
    b = TokenBuckets(rate=2, burst=3, clock=clock)
    assert [b.take('u') for _ in range(3)] == [0, 0, 0]
    assert b.take('u') == 0.5          # empty: one token in 1/rate s
    assert b.take('other') == 0        # per key
    clock.t += 0.5
    assert b.take('u') == 0
    clock.t += 100                     # refills only up to the burst
    assert [b.take('u') for _ in range(3)] == [0, 0, 0]
    assert b.take('u') > 0


def test_bounded_number_of_keys():
    b = TokenBuckets(rate=1, burst=1, max_keys=10)
    for i in range(1000):
        b.take(i)
    assert len(b._buckets) == 10
