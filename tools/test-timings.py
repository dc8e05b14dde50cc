#!/usr/bin/env python3
"""Sum a timing log written with IAAS_TEST_TIMINGS=FILE (tests/conftest.py)
per file or per directory: where a test run's time goes.

    tools/test-timings.py FILE [--by file|dir|test] [--top N]
"""
import argparse
import collections


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('log')
    ap.add_argument('--by', choices=('file', 'dir', 'test'), default='file')
    ap.add_argument('--top', type=int, default=40)
    args = ap.parse_args(argv)
    total = collections.Counter()
    count = collections.Counter()
    grand = 0.0
    with open(args.log) as f:
        for line in f:
            try:
                secs, when, _outcome, nodeid = line.rstrip('\n').split('\t', 3)
            except ValueError:
                continue
            key = nodeid if args.by == 'test' else nodeid.split('::', 1)[0]
            if args.by == 'dir':
                key = key.rsplit('/', 1)[0]
            total[key] += float(secs)
            grand += float(secs)
            if when == 'call':
                count[key] += 1
    print(f'{grand / 60:8.1f} min in all')
    for key, secs in total.most_common(args.top):
        print(f'{secs / 60:8.2f} min {count[key]:5d} tests  {key}')


if __name__ == '__main__':
    main()
