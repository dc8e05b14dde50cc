"""Run a benchmark of tools/bench/ at a base commit and at the working tree,
side by side, and print each figure with its ratio (new / base).

    .venv/bin/python tools/bench/compare.py --base HEAD~1 [--rounds 1] \\
        tools/bench/boot.py [bench args…]

The base is checked out into a temporary git worktree and run with
``PYTHONPATH`` pointing at it (the daemons the benchmark starts import the
base's code; the venv is shared). Rounds alternate base and new, so a load
change on the machine hits both. Each benchmark prints one JSON line with its
figures last; numeric figures are compared (for times, a ratio below 1 is
better; for rates, above 1).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(tree, bench, args):
    env = dict(os.environ, PYTHONPATH=tree)
    r = subprocess.run([sys.executable, os.path.join(tree, bench), *args], cwd=tree, env=env,
                       capture_output=True, text=True)
    sys.stderr.write(r.stdout[-2000:])
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-4000:])
        raise SystemExit(f'{bench} failed in {tree} ({r.returncode})')
    for line in reversed(r.stdout.splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    raise SystemExit(f'{bench} printed no JSON line in {tree}')


def mean(values):
    return sum(values) / len(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', required=True, help='git ref of the baseline')
    ap.add_argument('--rounds', type=int, default=1)
    ap.add_argument('bench', help='path of the benchmark, relative to the tree')
    ap.add_argument('args', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    sha = subprocess.check_output(['git', '-C', ROOT, 'rev-parse', '--short', a.base],
                                  text=True).strip()
    base_tree = tempfile.mkdtemp(prefix=f'iaas-bench-base-{sha}-')
    shutil.rmtree(base_tree)
    subprocess.run(['git', '-C', ROOT, 'worktree', 'add', '--detach', base_tree, sha],
                   check=True, capture_output=True)
    results = {'base': [], 'new': []}
    try:
        for i in range(a.rounds):
            for name, tree in (('base', base_tree), ('new', ROOT)):
                print(f'round {i + 1}: {name} …', file=sys.stderr, flush=True)
                results[name].append(run(tree, a.bench, a.args))
    finally:
        subprocess.run(['git', '-C', ROOT, 'worktree', 'remove', '--force', base_tree],
                       capture_output=True)
    keys = [k for k, v in results['new'][0].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            and isinstance(results['base'][0].get(k), (int, float))]
    print(f'{"figure":32} {"base " + sha:>14} {"new":>14} {"new/base":>9}')
    table = {}
    for k in keys:
        b = mean([r[k] for r in results['base']])
        n = mean([r[k] for r in results['new']])
        ratio = round(n / b, 3) if b else None
        table[k] = {'base': b, 'new': n, 'ratio': ratio}
        print(f'{k:32} {b:14.2f} {n:14.2f} {ratio if ratio is not None else "-":>9}')
    print(json.dumps({'base': sha, 'rounds': a.rounds, 'figures': table}))


if __name__ == '__main__':
    main()
