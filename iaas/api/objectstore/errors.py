"""The Swift API's errors: ``HTTPError`` raised anywhere in the proxy's
pipeline (handlers, filters, the S3 layer's Swift subrequests) and the
answer Swift gives for a status (``error_response``). A module of its own
so every part of the pipeline names them without importing the proxy."""
import webob

TITLES = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
          405: 'Method Not Allowed', 409: 'Conflict', 411: 'Length Required',
          412: 'Precondition Failed', 413: 'Request Entity Too Large',
          416: 'Requested Range Not Satisfiable', 422: 'Unprocessable Entity',
          499: 'Client Disconnect', 503: 'Service Unavailable', 507: 'Insufficient Storage'}
MESSAGES = {404: 'The resource could not be found.',
            401: 'This server could not verify that you are authorized to access the '
                 'document you requested.',
            409: 'There was a conflict when trying to complete your request.',
            503: 'The server is currently unavailable. Please try again at a later time.'}


HTML = {'Content-Type': 'text/html; charset=UTF-8'}


class HTTPError(Exception):
    def __init__(self, status, message=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status, message=None, headers=None, method='GET'):
    """Swift's error answer: the message as the body when there is one, else
    Swift's default HTML page of the status."""
    title = TITLES.get(status, 'Error')
    body = message or f'<html><h1>{title}</h1><p>{MESSAGES.get(status, title)}</p></html>'
    resp = webob.Response(status=status, headers=headers or {}, charset=None)
    resp.body = b'' if method == 'HEAD' else body.encode()
    if 'Content-Type' not in (headers or {}):
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
    return resp
