"""Schemathesis checks of our own (loaded with SCHEMATHESIS_HOOKS by
test_schemathesis.py): no traceback in any body, and the API's own error
format — JSON for the OpenStack APIs, plain text for Swift."""
import json
import os

import schemathesis

# The same markers as tests/fuzz/conftest.py (this file is loaded by path,
# outside the tests package).
TRACEBACK_MARKERS = ('Traceback (most recent call last)', 'File "/')
# 'json' for the OpenStack APIs, 'text' for Swift (set per run).
ERROR_FORMAT = os.environ.get('IAAS_FUZZ_ERROR_FORMAT', 'json')
# Swift error pages carry a short HTML/text body; the proxy sends some
# without any Content-Type (finding F2 in /tmp/fuzz-findings.md): allowed
# here, so the object store's run is about 5xx and tracebacks.
SWIFT_TYPES = ('', 'text/plain', 'text/html', 'application/json', 'application/xml')

# Glance's PATCH body is JSON under its own media type.
schemathesis.serializer.alias('application/openstack-images-v2.1-json-patch',
                              'application/json')


def _header(response, name):
    for key, values in response.headers.items():
        if key.lower() == name:
            return values[0] if isinstance(values, list | tuple) else values
    return ''


@schemathesis.check
def no_traceback_in_body(ctx, response, case):
    """No response body shows a Python traceback."""
    text = response.content.decode('utf-8', 'replace')
    for marker in TRACEBACK_MARKERS:
        if marker in text:
            raise AssertionError(f'the body carries a traceback ({marker!r}): {text[:500]}')


@schemathesis.check
def api_error_format(ctx, response, case):
    """A 4xx body is in the API's own error format."""
    if response.status_code < 400 or not response.content:
        return
    ctype = _header(response, 'content-type').split(';')[0].strip().lower()
    if ERROR_FORMAT == 'json':
        if ctype != 'application/json':
            raise AssertionError(f'{response.status_code} answered as {ctype!r}, not '
                                 f'application/json: {response.content[:300]!r}')
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            raise AssertionError(f'{response.status_code} body is not JSON ({exc}): '
                                 f'{response.content[:300]!r}') from None
        if not isinstance(body, dict) or not body:
            raise AssertionError(f'{response.status_code} body is not an error object: '
                                 f'{response.content[:300]!r}')
    elif ctype not in SWIFT_TYPES:
        raise AssertionError(f'{response.status_code} answered as {ctype!r}')
