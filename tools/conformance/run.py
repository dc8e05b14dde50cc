#!/usr/bin/env python3
"""`make conformance`: the real projects' own test suites against a fresh
all-in-one cloud, one table of results beside the real services' scores.

    tools/conformance/run.sh [--port-base N] [--check] [SUITE ...] [-- ARGS]

SUITE: swift, s3-core, s3-full, tempest-object, tempest-image, tempest-compute,
tempest-network, tempest-identity, or all (the default). ``s3-full`` runs
all of ceph's s3-tests and reports its ``core`` selection too. ARGS go to
the one suite named (pytest arguments for swift and s3-*, a regex for
tempest-*). --check fails (exit 1) when a suite passes fewer tests than
its floor in floors.txt or when the cloud answered any 5xx (501 aside).

The suites' virtualenvs and results live under $CONFORMANCE_WORK
(default /tmp/conformance); each suite's junit/log path is printed.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cloud as cloud_mod  # noqa: E402

HERE = cloud_mod.HERE

# name: (title, the real service's passed/failed/skipped here, or None)
SUITES = {
    'swift': ('Swift functests', 'Swift 2.38.3: 969 / 0 / 111'),
    's3-core': ('s3-tests core', 'Swift s3api: 244 / 84 / 1'),
    's3-full': ('s3-tests full', 'Swift s3api: 334 / 456 / 93'),
    'tempest-object': ('Tempest object-storage', 'Swift+Keystone: 145 / 1 / 3'),
    'tempest-image': ('Tempest image v2', 'Glance 33: 35 / 0 / 25'),
    'tempest-compute': ('Tempest compute', 'no reference (Nova cannot run here)'),
    'tempest-network': ('Tempest network', '-'),
    'tempest-identity': ('Tempest identity v3', '-'),
    'tempest-volume': ('Tempest volume v3', 'no reference (Cinder cannot run here)'),
}
ALL = ['swift', 's3-full', 'tempest-object', 'tempest-image', 'tempest-compute',
       'tempest-network', 'tempest-identity', 'tempest-volume']
TEMPEST_SERVICE = {'tempest-object': 'object-storage', 'tempest-image': 'image',
                   'tempest-compute': 'compute,image,network', 'tempest-network': 'network',
                   'tempest-identity': 'identity', 'tempest-volume': 'volume,compute,image'}
# the selection when --services names more than the suite (compute needs
# images and networks to be there, not their tests)
TEMPEST_REGEX = {'tempest-compute': r'^tempest\.api\.compute\.(servers|flavors|keypairs)\.',
                 'tempest-volume': r'^tempest\.api\.volume\.'}
TOTALS = re.compile(r'(\d+) passed, (\d+) failed, (\d+) skipped')


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


def work_dir():
    return os.environ.get('CONFORMANCE_WORK', '/tmp/conformance')


def run_script(cmd, env, name):
    """Run one suite's runner; (passed, failed, skipped, output tail)."""
    log(f'{name}: {" ".join(cmd[:3])} ...')
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    out = p.stdout + p.stderr
    found = TOTALS.findall(out)
    if not found:
        return None, out[-3000:]
    return tuple(int(x) for x in found[-1]), out[-3000:]


def suite_swift(c, stamp, extra):
    conf = os.path.join(c.dir, 'swift-test.conf')
    objport = cloud_mod.port(c.base, 'objectstore')
    with open(os.path.join(HERE, 'swift-test.conf.in')) as f:
        text = f.read().replace('@PORT@', str(objport))
    with open(conf, 'w') as f:
        f.write(text)
    env = dict(os.environ, OUT_DIR=os.path.join(work_dir(), 'results', f'swift-{stamp}'))
    return run_script([os.path.join(HERE, 'swift-functests.sh'), conf, *extra], env,
                      'swift')


def core_ids(env, main):
    """The test ids the s3-tests 'core' profile selects (collect only)."""
    p = subprocess.run(
        [os.path.join(HERE, 's3-tests.sh'), '127.0.0.1', '1', *main],
        capture_output=True, text=True, env=dict(env, PROFILE='core', COLLECT_ONLY='1'))
    return {line.strip() for line in p.stdout.splitlines() if '::' in line}


def suite_s3(c, stamp, extra, profile):
    main = cloud_mod.S3_USERS['main']
    alt, tenant = cloud_mod.S3_USERS['alt'], cloud_mod.S3_USERS['tenant']
    out_dir = os.path.join(work_dir(), 'results', f's3-{profile}-{stamp}')
    env = dict(os.environ, PROFILE=profile, OUT_DIR=out_dir,
               ALT_ACCESS=alt[0], ALT_SECRET=alt[1],
               TENANT_ACCESS=tenant[0], TENANT_SECRET=tenant[1])
    res = run_script([os.path.join(HERE, 's3-tests.sh'), '127.0.0.1',
                      str(cloud_mod.port(c.base, 'objectstore')), *main, *extra], env,
                     f's3-{profile}')
    core = None
    if profile == 'full' and not extra and res[0] is not None:
        core = core_from_junit(os.path.join(out_dir, 'junit.xml'), env, main)
    return res, core


def core_from_junit(junit, env, main):
    import xml.etree.ElementTree as ET
    wanted = core_ids(env, main)
    if not wanted:
        return None
    counts = [0, 0, 0]
    for tc in ET.parse(junit).getroot().iter('testcase'):
        path = tc.get('classname', '').replace('.', '/') + '.py::' + tc.get('name', '')
        if path not in wanted:
            continue
        kinds = {e.tag for e in tc}
        counts[1 if kinds & {'failure', 'error'} else 2 if 'skipped' in kinds else 0] += 1
    return tuple(counts)


# suites whose admin-only classes run too (the others run without an admin)
TEMPEST_ADMIN = {'tempest-volume'}


def suite_tempest(c, stamp, extra, name):
    service = TEMPEST_SERVICE[name]
    ws = os.path.join(work_dir(), 'results', f'{name}-{stamp}')
    accounts = os.path.join(c.dir, 'accounts.yaml')
    with open(os.path.join(HERE, 'tempest', 'accounts.yaml')) as f:
        text = f.read()
    if name in TEMPEST_ADMIN:
        # admins for the suite's admin classes (tempest hands them out only to
        # tests asking for admin credentials; one each class, so several)
        for a in cloud_mod.TEMPEST_ADMINS:
            text += (f'- username: {a}\n  project_name: {a}\n'
                     f'  password: {json.dumps(cloud_mod.PASSWORD)}\n'
                     '  user_domain_name: Default\n  project_domain_name: Default\n'
                     '  roles: [admin]\n')
    with open(accounts, 'w') as f:
        f.write(text)
    cmd = [os.path.join(HERE, 'tempest', 'run-tempest.sh'), '--auth-url', c.auth_url,
           '--services', service, '--accounts', accounts,
           '--image-ref', c.images[0], '--image-ref-alt', c.images[1],
           '--flavor-ref', '0', '--flavor-ref-alt', '1', '--network', c.network_name,
           '--max-microversion', c.max_microversion]
    if extra:
        cmd += ['--regex', extra[0]]
    elif name in TEMPEST_REGEX:
        cmd += ['--regex', TEMPEST_REGEX[name]]
    env = dict(os.environ, WORKSPACE=ws, PUBLIC_NETWORK_ID=c.public_network_id,
               FLOATING_NETWORK_NAME='public', NETWORK_EXTENSIONS=c.network_extensions)
    env.setdefault('CONCURRENCY', '2')
    res = run_script(cmd, env, name)
    if res[0] and res[0][1]:
        # which ones, in CI's log too (the workspace does not outlive CI)
        try:
            with open(os.path.join(ws, 'results.txt')) as f:
                failed = [ln.split(' ... ')[0] for ln in f if ' ... FAIL' in ln]
        except OSError:
            failed = []
        for ln in failed[:40]:
            log(f'{name}: FAILED {ln}')
    return res


def floors():
    out = {}
    with open(os.path.join(HERE, 'floors.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if len(line) == 2:
                out[line[0]] = int(line[1])
    return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if '--' in argv:
        i = argv.index('--')
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--port-base', type=int, default=int(os.environ.get('PORT_BASE', 20000)))
    ap.add_argument('--check', action='store_true', help='fail below the floors or on 5xx')
    ap.add_argument('--serial', action='store_true',
                    help='one cloud, one suite at a time (default: the object store '
                         'suites and Tempest side by side on two clouds)')
    ap.add_argument('suites', nargs='*', default=[])
    args = ap.parse_args(argv)
    suites = args.suites or ['all']
    if suites == ['all']:
        suites = list(ALL)
    for s in suites:
        if s not in SUITES:
            ap.error(f'unknown suite {s}; known: {", ".join(SUITES)}')
    if extra and len(suites) != 1:
        ap.error('extra arguments need exactly one suite')

    stamp = time.strftime('%Y%m%d-%H%M%S')
    # The object store's suites and Tempest use different accounts: two
    # clouds (ports base and base+50) run them side by side, one core each.
    groups = [[n for n in suites if not n.startswith('tempest-')],
              [n for n in suites if n.startswith('tempest-')]]
    groups = [g for g in groups if g]
    if args.serial:
        groups = [[n for g in groups for n in g]]
    results, errors, reasons = {}, [], []
    t_all = time.monotonic()
    threads = []
    for i, group in enumerate(groups):
        t = threading.Thread(target=run_group, args=(
            args.port_base + 50 * i, group, suites, stamp, extra, results, errors, reasons))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return report(results, errors, time.monotonic() - t_all, args.check, bool(extra), suites,
                  reasons)


def run_group(base, group, suites, stamp, extra, results, errors, reasons):
    """Run ``group`` in order on a fresh cloud at ``base``; fill results/errors."""
    c = cloud_mod.Cloud(work_dir(), base, log=log)
    try:
        c.start()
        c.provision()
        # Swift's functests count the accounts' containers: they go first.
        for name in sorted(group, key=lambda s: s != 'swift'):
            t0 = time.monotonic()
            if name == 'swift':
                res = suite_swift(c, stamp, extra)
            elif name.startswith('s3-'):
                res, core = suite_s3(c, stamp, extra, name[3:])
                if core is not None and 's3-core' not in suites:
                    results['s3-core'] = (core, 0.0)
            else:
                res = suite_tempest(c, stamp, extra, name)
            results[name] = (res[0], time.monotonic() - t0)
            if res[0] is None:
                log(f'{name}: no result; runner output ends with:\n{res[1]}')
            else:
                log(f'{name}: {res[0][0]} passed, {res[0][1]} failed, {res[0][2]} skipped')
    except Exception as exc:
        log(f'cloud at {base}: {exc!r}')
        errors.append(f'cloud at {base} failed: {exc!r}')
    finally:
        c.stop()
        for line, why in c.server_error_reports():
            errors.append(line)
            reasons.append((line, why))


def report(results, errors, elapsed, check, partial, requested, reasons=()):
    fl = floors()
    print()
    print(f'{"suite":<24} {"passed":>6} {"failed":>6} {"skipped":>7} {"time":>6} '
          f'{"floor":>5}  real service here')
    bad = []
    for name in SUITES:
        if name not in results:
            if name in requested:
                bad.append(f'{SUITES[name][0]}: no result')
            continue
        counts, secs = results[name]
        title, ref = SUITES[name]
        floor = fl.get(name)
        p, f, s = counts if counts else ('-', '-', '-')
        t = f'{int(secs) // 60}m{int(secs) % 60:02d}' if secs else '(full)'
        print(f'{title:<24} {p:>6} {f:>6} {s:>7} {t:>6} {floor if floor is not None else "-":>5}'
              f'  {ref}')
        if floor is not None and not partial and (counts is None or counts[0] < floor):
            bad.append(f'{title}: {p} passed, below the floor {floor}')
    print(f'total time {int(elapsed) // 60}m{int(elapsed) % 60:02d}; '
          f'server errors (5xx other than 501): {len(errors)}')
    for line in errors[:20]:
        print('  ' + line)
    if errors:
        bad.append(f'{len(errors)} responses with a 5xx status (or a cloud that failed)')
    for b in bad:
        print('FAIL ' + b)
    print_reasons(reasons)
    return 1 if (check and bad) else 0


def print_reasons(reasons, most=3, frames=6):
    """Last in the output (CI shows the tail): why the first server errors
    happened, from the tracebacks logged before them."""
    for line, why in reasons[:most]:
        print(f'WHY {line[:160]}')
        for w in (why[:1] + why[1:][-frames:]) if why else ['  (no ERROR record before it)']:
            print('    ' + w[:200])


if __name__ == '__main__':
    sys.exit(main())
