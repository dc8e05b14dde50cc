"""The server name filter runs on RE2 (issue #12 finding 3): hostile
patterns cost microseconds, invalid or overlong ones are a ValueError
(400 at the API), never a 500 or a stalled process."""
import time

import pytest

from iaas.db import instances


def _time(fn, n=20):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


@pytest.mark.parametrize('pattern', ['^(a+)+$', '(a|aa)+$', '(a*)*b', '^(\\w+\\s?)*$',
                                     '(.*a){15}', '(a|aa|aaa){25}$', '(a?){35}a{35}'])
def test_catastrophic_patterns_are_linear(pattern):
    rx = instances.name_filter(pattern)
    for hostile in ('a' * 254 + '!', 'ab ' * 85):      # names have at most 255 characters
        assert _time(lambda h=hostile: rx.search(h)) < 0.005, hostile[:5]
    assert _time(lambda: rx.search('a' * 26 + '!')) < 0.001


def test_matches_like_a_search():
    assert instances.name_filter('vm-[0-9]+').search('my-vm-12')
    assert not instances.name_filter('^vm$').search('vm2')
    assert instances.name_filter('Ü.').search('xÜy')


@pytest.mark.parametrize('pattern', ['(' * 5000, '(' * 100, '(a)\\1', '(?=a)', '(?<!a)b',
                                     'a{2000}', '[z-a]', '\ud800', 'x' * 256,
                                     '((((.*a){10}){10}){10})', '(.*a){100}'])
def test_invalid_or_overlong_is_value_error(pattern):
    t = time.perf_counter()
    with pytest.raises(ValueError, match='Invalid name filter'):
        instances.name_filter(pattern)
    assert time.perf_counter() - t < 0.05
