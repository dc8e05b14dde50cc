"""Placement of volumes on backends (Cinder's scheduler, in iaas-scheduler).

A backend can take a volume when its iaas-volume service is up and enabled,
it is in the requested availability zone, its ``volume_backend_name``
matches the volume type's extra spec of that name (when the type has one),
its protocol matches ``storage_protocol`` (when given) and the volume fits
under its limit (``total × (1 − reserved%) × ratio`` for thin backends).
Among those, the one with the most room left goes first; the claim
(:func:`iaas.db.volume_backends.claim`) re-checks under the backend's lock,
so a lost race tries the next one.
"""
from iaas.db import volume_backends as db_backends

SPEC_BACKEND = 'volume_backend_name'
SPEC_PROTOCOL = 'storage_protocol'


def suits(b, specs):
    """Whether backend ``b`` has what a type's extra ``specs`` ask for."""
    wanted = specs.get(SPEC_BACKEND)
    if wanted and wanted not in (b['backend_name'], b.get('volume_backend_name')):
        return False
    proto = specs.get(SPEC_PROTOCOL)
    return not proto or proto.lower() == (b['protocol'] or '').lower()


def candidates(backends, size, availability_zone=None, extra_specs=None, up_hosts=None,
               ignore=()):
    """The backends (dicts of :func:`db_backends.list_`) that can take ``size``
    GiB, best first; ``up_hosts``: hosts whose iaas-volume is up and enabled."""
    specs = extra_specs or {}
    out = []
    for b in backends:
        if b['name'] in ignore:
            continue
        if up_hosts is not None and b['host'] not in up_hosts:
            continue
        if availability_zone and b['availability_zone'] != availability_zone:
            continue
        if not suits(b, specs):
            continue
        room = db_backends.limit_gb(b) - b['allocated_gb']
        if room < size:
            continue
        out.append((room, b))
    out.sort(key=lambda x: -x[0])
    return [b for _, b in out]
