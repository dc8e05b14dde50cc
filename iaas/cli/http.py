"""HTTP transport: ``requests`` with the CLI's error handling.

Every failure becomes a CLIError: connection refused, timeouts, and API
errors with the message parsed from the service's fault body.
"""
import sys
from urllib.parse import urlsplit

import requests

from iaas.cli.errors import CLIError, api_error

USER_AGENT = 'iaas-cli/0.1'
DEFAULT_TIMEOUT = (10, 120)   # connect, read


def where(url):
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}' if parts.netloc else url


class Transport:
    def __init__(self, debug=False, timeout=DEFAULT_TIMEOUT, verify=True):
        self.debug = debug
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.verify = verify

    def request(self, method, url, *, expect_error=False, timeout=None, **kwargs):
        """Send; return the response. Errors (>= 400) raise APIError unless
        ``expect_error`` (then the caller looks at the status)."""
        headers = {'Accept': 'application/json', **(kwargs.pop('headers', None) or {})}
        try:
            resp = self.session.request(method, url, headers=headers,
                                        timeout=timeout or self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise CLIError(f'TLS error talking to {where(url)}: {exc}') from None
        except requests.exceptions.ConnectionError:
            raise CLIError(f'cannot connect to {where(url)} ({method} {url}): is the '
                           f'service running and the URL right?') from None
        except requests.exceptions.Timeout:
            raise CLIError(f'{method} {url} timed out') from None
        except requests.exceptions.RequestException as exc:
            raise CLIError(f'{method} {url} failed: {exc}') from None
        if self.debug:
            rid = resp.headers.get('X-OpenStack-Request-ID', '')
            print(f'DEBUG {method} {url} -> {resp.status_code} {rid}'.rstrip(),
                  file=sys.stderr)
        if resp.status_code >= 400 and not expect_error:
            raise api_error(resp)
        return resp
