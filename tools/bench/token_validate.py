#!/usr/bin/env python3
"""Identity benchmark: token validation in the auth middleware, token issue.

    tools/bench/token_validate.py [--db URL] [--bcrypt-rounds N ...] [--n N]

Bootstraps a private SQLite database (or --db) in a temp dir, issues a
project-scoped token and measures:

* the middleware (``auth.make_token_middleware``) validating X-Auth-Token
  on a webob request, warm caches (the steady state): p50 / p99;
* the first validation of a fresh token (Fernet decrypt + cached lookups);
* validation with every cache cold (user/project/roles read from the DB);
* ``POST /v3/auth/tokens`` with a password through the identity WSGI app
  (in process, no socket) for each bcrypt cost: p50 / p99.

* the authorization layer (``auth.authorize``: scope, reader check, policy
  rule, write rate limit) on top of that validation.

Targets: middleware validation <= 0.2 ms p50, no DB, no bus (issue #3);
the authorization layer <= 0.1 ms p50 beside it (issue #12).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import webob  # noqa: E402

from iaas import wsgi  # noqa: E402
from iaas.conf import CONF, register_all  # noqa: E402


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def fmt(samples):
    return (f'p50 {statistics.median(samples) * 1e3:.3f} ms  '
            f'p99 {pct(samples, 99) * 1e3:.3f} ms  (n={len(samples)})')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--db', help='SQLAlchemy URL of an empty database (default: temp SQLite)')
    ap.add_argument('--bcrypt-rounds', type=int, nargs='+', default=None,
                    help='bcrypt costs to measure token issue with '
                         '(default: the configured [identity] bcrypt_rounds)')
    ap.add_argument('--n', type=int, default=20000, help='validations to time')
    ap.add_argument('--issues', type=int, default=10, help='token issues per cost')
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='bench-identity-')
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('state_path', tmp)
    url = args.db or f'sqlite:///{tmp}/bench.sqlite'
    CONF.set_override('connection', url, group='database')
    from iaas.db import migration
    migration.upgrade(url)
    from iaas import identity
    from iaas.api import auth
    from iaas.api.identity import app as identity_api
    from iaas.identity import bootstrap, cache, tokens
    rounds = args.bcrypt_rounds or [CONF.identity.bcrypt_rounds]

    CONF.set_override('bcrypt_rounds', rounds[0], group='identity')
    bootstrap.first_start('bench-password')
    app = identity_api.build_app()
    body = ('{"auth": {"identity": {"methods": ["password"], "password": {"user": '
            '{"name": "admin", "password": "bench-password", "domain": {"name": '
            '"Default"}}}}, "scope": {"project": {"name": "admin", "domain": '
            '{"name": "Default"}}}}}').encode()

    def issue():
        req = webob.Request.blank('/v3/auth/tokens', method='POST', body=body)
        req.content_type = 'application/json'
        resp = req.get_response(app)
        assert resp.status_int == 201, resp.body
        return resp.headers['X-Subject-Token']

    token = issue()
    mw = auth.make_token_middleware(public_paths=('/',))

    def request(tok):
        return wsgi.Request.blank('/v2.1/servers', headers={'X-Auth-Token': tok})

    print(f'database: {url.split("@")[-1]}')
    print(f'token length: {len(token)} characters')

    # Steady state: the same token again and again (caches warm).
    mw(request(token))
    samples = []
    for _ in range(args.n):
        req = request(token)
        t = time.perf_counter()
        mw(req)
        samples.append(time.perf_counter() - t)
        assert req.environ['iaas.context'].project_id
    print(f'middleware validation, warm:          {fmt(samples)}')
    warm = statistics.median(samples)

    # The authorization layer of every API (auth.authorize): validation as
    # above plus scope, reader check, the route's policy rule and, for a
    # write, the per-user rate limit. Its own cost = the difference.
    @wsgi.route_policy('project_member')
    def handler(req):
        return None
    CONF.set_override('user_write_rate', 1e9, group='api')
    for method in ('GET', 'POST'):
        route = wsgi.Route('/v2.1/servers', None, frozenset({method}), handler)
        samples = []
        for _ in range(args.n):
            req = request(token)
            req.method = method
            t = time.perf_counter()
            auth.authorize(req, route, {})
            samples.append(time.perf_counter() - t)
        layer = statistics.median(samples) - warm
        print(f'authorize ({method:4s} project_member):   {fmt(samples)}  '
              f'layer alone p50 {layer * 1e3:.3f} ms (target <= 0.1 ms)')

    # First sight of each token: decrypt + lookups from the TTL caches.
    fresh = [tokens.issue(*_subject(token, tokens))[0] for _ in range(2000)]
    samples = []
    for tok in fresh:
        req = request(tok)
        t = time.perf_counter()
        mw(req)
        samples.append(time.perf_counter() - t)
    print(f'middleware validation, new token:     {fmt(samples)}')

    # Everything cold: user, project, domain, roles read from the database.
    samples = []
    for tok in fresh[:300]:
        cache.clear_all()
        req = request(tok)
        t = time.perf_counter()
        mw(req)
        samples.append(time.perf_counter() - t)
    print(f'middleware validation, caches cold:   {fmt(samples)}')

    for r in rounds:
        CONF.set_override('bcrypt_rounds', r, group='identity')
        bootstrap.bootstrap('bench-password', reset_password=True)
        identity.reset_state()
        issue()
        samples = []
        for _ in range(args.issues):
            t = time.perf_counter()
            issue()
            samples.append(time.perf_counter() - t)
        print(f'POST /v3/auth/tokens, bcrypt cost {r:2d}: {fmt(samples)}')


def _subject(token, tokens):
    d = tokens.decode(token)
    return d.user_id, list(d.methods), d.project_id


if __name__ == '__main__':
    main()
