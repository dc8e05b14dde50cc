"""EC2 responses: ``<{Action}Response xmlns=…><requestId>…`` then the
result, from plain Python values:

* a dict becomes child elements in insertion order (``None`` values are
  left out, as EC2 leaves out what is not set);
* a list becomes ``<item>`` children (EC2's ``…Set`` elements);
* bools are ``true``/``false``; datetimes ISO 8601 UTC with milliseconds.
"""
import datetime
from xml.sax.saxutils import escape

NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'


def timestamp(value):
    """EC2's time format (``2026-12-05T04:18:44.000Z``) of a datetime or ISO
    string (naive: UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime('%Y-%m-%dT%H:%M:%S.') + f'{value.microsecond // 1000:03d}Z'


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    return escape(str(value))


def _emit(out, name, value):
    if value is None:
        return
    if isinstance(value, dict):
        out.append(f'<{name}>')
        for k, v in value.items():
            _emit(out, k, v)
        out.append(f'</{name}>')
    elif isinstance(value, (list, tuple)):
        out.append(f'<{name}>')
        for item in value:
            _emit(out, 'item', item)
        out.append(f'</{name}>')
    else:
        out.append(f'<{name}>{_text(value)}</{name}>')


def render(action, request_id, result):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<{action}Response xmlns="{NAMESPACE}">',
           f'<requestId>{escape(request_id)}</requestId>']
    for k, v in (result or {}).items():
        _emit(out, k, v)
    out.append(f'</{action}Response>')
    return ''.join(out).encode()
