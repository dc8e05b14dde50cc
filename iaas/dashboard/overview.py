"""The overview: quota use (compute and volume limits) and, when the catalog
has a rating service, this month's cost to date, forecast and budget."""
import datetime as dt
import logging
from urllib.parse import quote

from iaas.cli.errors import APIError, CLIError
from iaas.dashboard import render

LOG = logging.getLogger(__name__)

# (label, used key, limit key, unit) of GET /limits "absolute"
COMPUTE_BARS = [('Instances', 'totalInstancesUsed', 'maxTotalInstances', ''),
                ('vCPUs', 'totalCoresUsed', 'maxTotalCores', ''),
                ('RAM', 'totalRAMUsed', 'maxTotalRAMSize', 'MiB')]
VOLUME_BARS = [('Volumes', 'totalVolumesUsed', 'maxTotalVolumes', ''),
               ('Volume storage', 'totalGigabytesUsed', 'maxTotalVolumeGigabytes', 'GiB'),
               ('Snapshots', 'totalSnapshotsUsed', 'maxTotalSnapshots', '')]


def _bars(absolute, spec):
    out = []
    for label, used_key, limit_key, unit in spec:
        if used_key not in absolute or limit_key not in absolute:
            continue
        used, limit = absolute[used_key] or 0, absolute[limit_key]
        unlimited = limit is None or limit < 0
        out.append({'label': label, 'used': used, 'limit': None if unlimited else limit,
                    'unit': unit, 'max': max(used, 1) if unlimited else max(limit, 1),
                    'high': not unlimited and limit > 0 and used / limit >= 0.8})
    return out


def _optional(what, fn):
    """A part of the page that may be missing (its service absent or down)."""
    try:
        return fn()
    except (APIError, CLIError) as exc:
        if isinstance(exc, APIError) and exc.status == 401:
            raise
        LOG.info('dashboard overview: no %s: %s', what, exc)
        return None


def _cost(c, project):
    period = dt.datetime.now(dt.timezone.utc).strftime('%Y-%m')
    inv = c.rating.get(f'/v1/projects/{project}/invoices/{period}').json()['invoice']
    out = {'period': period, 'currency': inv.get('currency'), 'total': inv.get('total'),
           'forecast': (inv.get('forecast') or {}).get('total')}
    resp = c.rating.get(f'/v1/projects/{project}/budget', expect_error=True)
    if resp.status_code == 200:
        b = resp.json()['budget']
        out['budget'] = {'amount': b.get('amount'), 'percent': b.get('percent'),
                         'enforce': b.get('enforce')}
        try:
            out['budget']['meter'] = min(float(b.get('percent') or 0), 100.0)
        except (TypeError, ValueError):
            out['budget']['meter'] = 0.0
    return out


def overview(req):
    c = render.cloud(req)
    project = quote(render.sess(req).get('project_id') or '', safe='')
    compute = c.compute.get('/limits').json()['limits']['absolute']
    bars = _bars(compute, COMPUTE_BARS)
    if c.has('volumev3'):
        vol = _optional('volume limits', lambda: c.volume.get('/limits').json())
        if vol:
            bars += _bars(vol['limits']['absolute'], VOLUME_BARS)
    cost = _optional('cost', lambda: _cost(c, project)) if c.has('rating') else None
    return render.page(req, 'overview.html', bars=bars, cost=cost)


def add_routes(router):
    router.add('GET', '/', overview)
