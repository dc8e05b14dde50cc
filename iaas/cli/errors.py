"""Errors the CLI reports as one line on stderr (never a traceback)."""
import re


class CLIError(Exception):
    """A failure to report to the user; ``code`` becomes the exit status."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.message = message
        self.code = code


class APIError(CLIError):
    """An HTTP error answered by an API, with the API's own message."""

    def __init__(self, status, message, request_id=None):
        text = f'{message} (HTTP {status})'
        if request_id:
            text += f' (Request-ID: {request_id})'
        super().__init__(text)
        self.status = status
        self.api_message = message


def _message_from_json(body):
    """The message in an OpenStack error body, whatever the service's format."""
    if not isinstance(body, dict):
        return None
    # Glance (and ours): {"message": ..., "code": ..., "title": ...}
    if isinstance(body.get('message'), str):
        return body['message']
    # Nova {"itemNotFound": {"message"}}, Keystone {"error": {"message"}},
    # Neutron {"NeutronError": {"message"}}
    for value in body.values():
        if isinstance(value, dict):
            for key in ('message', 'detail', 'explanation'):
                if isinstance(value.get(key), str) and value[key]:
                    return value[key]
    return None


def _message_from_text(text):
    text = re.sub(r'<(script|style)\b.*?</\1>', ' ', text, flags=re.S | re.I)
    text = re.sub(r'<[^>]+>', ' ', text)
    return ' '.join(text.split())[:500]


def api_error(response):
    """APIError for a failed ``requests`` response."""
    message = None
    try:
        message = _message_from_json(response.json())
    except ValueError:
        pass
    except Exception:  # pragma: no cover - any odd body still gets a message
        pass
    if not message:
        message = _message_from_text(response.text or '') or response.reason or 'error'
    rid = (response.headers.get('X-OpenStack-Request-ID')
           or response.headers.get('X-Compute-Request-Id')
           or response.headers.get('X-Openstack-Request-Id'))
    return APIError(response.status_code, message, rid)

