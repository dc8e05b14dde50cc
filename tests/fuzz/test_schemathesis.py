"""Schemathesis against every API of a real iaas-all, for a bounded time.

Each API's own OpenAPI document (GET /openapi.json of each daemon, the
object store's too) drives ``st run`` with a
project-scoped member token of a third tenant, carol. Path parameters may
also take the ids of real resources — carol's and another tenant's
(alice's) — so fuzzed bodies reach real handlers and cross-tenant
requests are tried too; then identity, compute and network again with the
admin's token (admin-only routes: flavors, quotas, users…) and carol's ids
only. Where a route declares no body schema (``@wsgi.accepts``), the one
inferred from a valid body (tests/fuzz/bodies.py) is used, with that body
as example. Checks: no response >= 500, no traceback in any body, errors
in the API's own format (tests/fuzz/st_hooks.py); and alice's resources
are the same afterwards.

    IAAS_FUZZ_SECONDS   total fuzzing time of all APIs (default 130)
    IAAS_FUZZ_SEED      hypothesis seed (default fixed; printed; replays a run)

A failure prints schemathesis' report with a curl command per failing
request. Replay one API by hand against a running cloud with the command
line printed at the start of its run.
"""
import datetime
import json
import os
import shlex
import subprocess
import sys
import time

import pytest

from iaas.api import openapi
from tests.fuzz import bodies
from tests.fuzz.conftest import SEED

BIN = os.path.dirname(sys.executable)
HERE = os.path.dirname(os.path.abspath(__file__))
TOTAL_SECONDS = float(os.environ.get('IAAS_FUZZ_SECONDS', '130'))
# (API, caller, share of the budget), in the order they run: carol (a
# member) first, identity last of hers (the fuzzer may change carol's own
# user); then the admin, for the admin-only routes (flavors, quotas,
# users, …), with carol's ids only.
RUNS = [('compute', 'member', 0.18), ('network', 'member', 0.18),
        ('image', 'member', 0.12), ('objectstore', 'member', 0.12),
        ('identity', 'member', 0.12), ('compute', 'admin', 0.10),
        ('network', 'admin', 0.08), ('identity', 'admin', 0.10),
        ('volume', 'member', 0.10), ('volume', 'admin', 0.06), ('rating', 'member', 0.04),
        ('rating', 'admin', 0.03)]
CHECKS = 'not_a_server_error,no_traceback_in_body,api_error_format'


def _ids(t, fc):
    """Path-parameter values naming real things of tenant ``t``."""
    r = t.resources
    return {'server_id': r['server_id'], 'network_id': r['network_id'],
            'subnet_id': r['subnet_id'], 'security_group_id': r['security_group_id'],
            'image_id': r['image_id'], 'name': r['keypair'], 'project_id': t.project_id,
            'user_id': t.user_id, 'target_id': t.project_id, 'member_id': t.project_id,
            'account': r['account'], 'container': r['container'], 'object': r['object'],
            'key': 'owner', 'tag': 'fuzz', 'volume_id': r['volume_id'],
            'snapshot_id': r['snapshot_id'], 'target_project_id': t.project_id,
            'period': datetime.datetime.now(datetime.UTC).strftime('%Y-%m'),
            'invoice_id': '00000000-0000-4000-8000-000000000000'}


def _id_values(tenants, fc, extra):
    values = {}
    for t in tenants:
        for k, v in _ids(t, fc).items():
            values.setdefault(k, []).append(v)
    for k, v in (extra or {}).items():
        values.setdefault(k, []).extend(v)
    return values


def _param(p, values):
    if p['in'] == 'path' and p['name'] in values:
        # The first tenant's ids first: the fuzzer tries the first value most.
        p = dict(p, schema={'anyOf': [{'enum': list(dict.fromkeys(values[p['name']]))},
                                      {'type': 'string', 'minLength': 1}]})
    return p


def with_real_ids(doc, tenants, fc, extra=None, delete_tenants=()):
    """``doc`` whose path parameters may also be the real ids of ``tenants``;
    those of DELETE operations only the ids of ``delete_tenants`` (so the
    fuzzer does not delete, early on, what the rest of its run would use)."""
    values = _id_values(tenants, fc, extra)
    delete_values = _id_values(delete_tenants, fc, None)
    for item in doc['paths'].values():
        params = item.get('parameters', [])
        if 'delete' in item and params:
            own = item['delete'].get('parameters', [])
            item['delete'] = dict(item['delete'], parameters=own + [
                _param(p, delete_values) for p in params])
        item['parameters'] = [_param(p, values) for p in params]
    return doc


# Filters and paging the OpenStack APIs take on their lists (each API a
# few of them): sent by the fuzzer on every GET of the fuzzing copy of a
# document (handlers ignore the ones they do not know).
LIST_QUERY = ('limit', 'marker', 'name', 'status', 'sort_key', 'sort_dir', 'all_tenants',
              'all_projects', 'fields', 'changes-since', 'tenant_id', 'visibility',
              'member_status', 'tag', 'owner', 'enabled', 'network_id', 'device_id',
              'fixed_ips', 'ip', 'flavor', 'image', 'reservation_id', 'type', 'user_id')


def with_list_queries(doc):
    for item in doc['paths'].values():
        op = item.get('get')
        if op is None or op.get('security') == []:
            continue
        taken = {p['name'] for p in item.get('parameters', []) + op.get('parameters', [])}
        op.setdefault('parameters', []).extend(
            {'name': n, 'in': 'query', 'required': False, 'schema': {'type': 'string'}}
            for n in LIST_QUERY if n not in taken)
    return doc


def with_sample_bodies(doc, api, samples):
    """Where a route declares no body schema, the schema inferred from a
    valid sample body (tests/fuzz/bodies.py), with the sample as example:
    the fuzzer then sends every field with wrong types, sizes, values."""
    generic = [openapi.GENERIC_BODY] + [sch for _m, sch in openapi.MEDIA_TYPES.values()]
    by_route = {}
    for s_api, method, template, _path, _caller, body in samples:
        if s_api == api:
            by_route.setdefault((template, method.lower()), []).append(body)
    for (template, method), examples in by_route.items():
        op = doc['paths'].get(template, {}).get(method)
        if op is None or 'requestBody' not in op:
            continue
        for media in op['requestBody']['content'].values():
            if media['schema'] in generic:
                schemas = [bodies.infer_schema(b) for b in examples]
                media['schema'] = schemas[0] if len(schemas) == 1 else {'anyOf': schemas}
                media['examples'] = {f'valid{i}': {'value': b}
                                     for i, b in enumerate(examples)}
                op['requestBody']['required'] = True
    return doc


@pytest.fixture(scope='module')
def carol(fuzz_cloud):
    """The fuzzing tenant (its own resources may go; alice's must not)."""
    return fuzz_cloud.add_tenant(f'carol-{fuzz_cloud.alice.name.split("-")[1]}')


@pytest.fixture(scope='module')
def timing():
    spent = {}
    yield spent
    print('\nfuzz: schemathesis seconds per API: ' + ', '.join(
        f'{k} {v:.1f}' for k, v in spent.items()) + f'; total {sum(spent.values()):.1f}')


def _document(fc, api):
    """The document the daemon serves (GET /openapi.json, no token)."""
    return fc.call(api, 'GET', '/openapi.json', expect=200).json()


@pytest.mark.parametrize('api,who,share', RUNS, ids=[f'{a}-{w}' for a, w, _s in RUNS])
def test_fuzz_api(api, who, share, fuzz_cloud, carol, tmp_path, timing):
    fc = fuzz_cloud
    flavors = [f['id'] for f in fc.call('compute', 'GET', '/v2.1/flavors', fc.admin_token,
                                        200).json()['flavors']] or [carol.resources['flavor_id']]
    owners = [carol, fc.alice] if who == 'member' else [carol]
    token = carol.token if who == 'member' else fc.admin_token
    doc = with_real_ids(_document(fc, api), owners, fc, extra={'flavor_id': flavors},
                        delete_tenants=[fc.alice] if who == 'member' else [])
    doc = with_sample_bodies(doc, api, bodies.valid_requests(fc, carol))
    if api != 'objectstore':    # the object store's document has its own
        doc = with_list_queries(doc)
    doc['servers'] = [{'url': fc.urls[api]}]
    path = tmp_path / f'{api}-openapi.json'
    path.write_text(json.dumps(doc))
    seconds = max(1, int(TOTAL_SECONDS * share))
    cmd = [os.path.join(BIN, 'st'), 'run', str(path), '--url', fc.urls[api],
           '-H', f'X-Auth-Token: {token}', '--checks', CHECKS,
           '--max-time', str(seconds), '--seed', str(SEED), '--workers', '1',
           '--phases', 'examples,coverage,fuzzing', '--request-timeout', '30',
           '--generation-database', 'none', '--generation-with-security-parameters',
           'false', '--suppress-health-check', 'all', '--no-color',
           '--output-truncate', 'false', '--output-sanitize', 'false', '--max-failures', '20']
    env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.join(HERE, 'st_hooks.py'),
               IAAS_FUZZ_ERROR_FORMAT='text' if api == 'objectstore' else 'json',
               PYTHONUNBUFFERED='1')
    print(f'\nfuzz {api} as {who}: {seconds}s, seed {SEED}:\n  SCHEMATHESIS_HOOKS={HERE}/st_hooks.py '
          + ' '.join(shlex.quote(c) for c in cmd))
    before = fc.snapshot(fc.alice)
    started = time.monotonic()
    # In tmp_path: st keeps a cache of crashes (.schemathesis/) in its cwd.
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path,
                       timeout=seconds + 120)
    timing[f'{api}-{who}'] = time.monotonic() - started
    out = r.stdout + r.stderr
    (tmp_path / f'{api}-{who}-schemathesis.txt').write_text(out)
    print(out[-1500:])
    assert r.returncode == 0, f'schemathesis found failures in {api} as {who}:\n{out[-12000:]}'
    changed = fc.unchanged(fc.alice, before)
    assert not changed, f'fuzzing {api} as {who} changed alice\'s data: {changed}'
