"""The EC2 Query API application (:8773): one route, ``GET|POST /``.

Each request, in order, before any work: the body is bounded by
``[api] max_request_body_size`` and the parameters by ``[ec2]
max_params``; the signature (V4 or V2) is checked against the secret of
the EC2 credential it names, whose user, project, domains and roles are
re-checked (:mod:`iaas.api.ec2_auth`); the action must be one of the
table (:mod:`iaas.api.ec2.actions`); a reader-only user may not write;
the action's policy rule must pass; writes are rate-limited per user;
``DryRun=true`` stops there (``DryRunOperation``). Only then the handler
runs. Errors are EC2's envelope with EC2's codes; nothing answers 500
but a bug (``InternalError``, logged).
"""
import logging
import urllib.parse

import webob

from iaas import wsgi
from iaas.api import ec2_auth, ratelimit
from iaas.api.ec2 import (
    actions,
    addresses,
    errors,
    image_register,
    images,
    instance_attrs,
    instances,
    keypairs,
    params,
    regions,
    secgroups,
    sig,
    tags,
    volumes,
    xmlresp,
)
from iaas.conf import CONF
from iaas.identity import policy

LOG = logging.getLogger(__name__)
# the topic modules, each declaring its actions in actions.ACTIONS
TOPICS = (addresses, image_register, images, instance_attrs, instances, keypairs, regions,
          secgroups, tags, volumes)

# HTTP errors of the router itself (unknown path, method, body too big)
_ROUTER_CODES = {404: 'InvalidAction', 405: 'InvalidAction', 413: 'RequestEntityTooLarge',
                 429: 'RequestLimitExceeded', 400: 'InvalidParameterValue'}


def _xml(status, payload, headers=None):
    resp = webob.Response(body=payload, status=status, content_type='text/xml',
                          charset='UTF-8')
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error_response(exc, request_id, headers=None):
    return _xml(exc.status, errors.body(exc.code, exc.message, request_id), headers)


class EC2Router(wsgi.Router):
    """The router with EC2's error envelope for its own faults."""

    def fault_response(self, fault):
        code = _ROUTER_CODES.get(fault.code, 'InternalError' if fault.code >= 500
                                 else 'InvalidParameterValue')
        return _xml(fault.code, errors.body(code, fault.message, ''), fault.headers)

    def handle(self, req):
        resp = super().handle(req)
        if isinstance(resp, webob.Response) and resp.status_int >= 400 and \
                b'<RequestID></RequestID>' in resp.body:
            resp.body = resp.body.replace(b'<RequestID></RequestID>',
                                          f'<RequestID>{req.request_id}</RequestID>'.encode())
        return resp


def _pairs(req):
    """[(name, value)] of the query string and a form body; the raw body."""
    max_params = CONF.ec2.max_params
    length = req.content_length
    if length is not None and length > req.max_body:
        raise errors.EC2Error('RequestEntityTooLarge',
                              f'Request body is larger than {req.max_body} bytes', 413)
    body = req.body_file.read(req.max_body + 1) if req.method == 'POST' else b''
    if len(body) > req.max_body:
        raise errors.EC2Error('RequestEntityTooLarge',
                              f'Request body is larger than {req.max_body} bytes', 413)
    sources = [req.environ.get('QUERY_STRING', '')]
    ctype = (req.content_type or '').lower()
    if body and (not ctype or ctype == 'application/x-www-form-urlencoded'):
        sources.append(body.decode('utf-8', 'strict') if _utf8(body) else None)
        if sources[-1] is None:
            raise errors.invalid('The request body is not valid UTF-8.')
    elif body:
        raise errors.invalid(f'Unsupported content type {ctype[:64]}; send '
                             'application/x-www-form-urlencoded.')
    pairs = []
    for text in sources:
        try:
            pairs += urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                            errors='strict', max_num_fields=max_params)
        except UnicodeDecodeError:
            raise errors.invalid('A parameter is not valid UTF-8.') from None
        except ValueError:
            raise errors.invalid(f'A request may carry at most {max_params} '
                                 'parameters.') from None
    return pairs, body


def _utf8(data):
    try:
        data.decode('utf-8')
        return True
    except UnicodeDecodeError:
        return False


def _authenticate(req, pairs, body):
    claim = sig.claim(req, pairs, body, CONF.ec2.region)
    cred = ec2_auth.lookup(claim.access)
    if cred is None:
        raise errors.auth_failure()
    claim.verify(cred.secret)
    try:
        ctx = cred.context(req.request_id)
    except ec2_auth.CredentialError as exc:
        raise errors.auth_failure(exc.message) from None
    return ctx


def _authorize(ctx, act):
    if act.write and ctx.is_reader_only and not ctx.is_admin:
        raise errors.unauthorized('The reader role may only describe.')
    if not policy.check(ctx, act.rule, {'project_id': ctx.project_id,
                                        'user_id': ctx.user_id}):
        raise errors.unauthorized(f'You are not authorized to perform {act.name}.')
    if act.write:
        try:
            ratelimit.check_write(ctx.user_id)
        except wsgi.Fault:
            raise errors.EC2Error('RequestLimitExceeded', 'Request limit exceeded.',
                                  503) from None


def dispatch(req):
    """The EC2 response of one request (webob.Response)."""
    rid = req.request_id
    try:
        pairs, body = _pairs(req)
        p = params.Params.parse(pairs, CONF.ec2.max_params)
        name = p.str('Action', max_len=64)
        if not name:
            raise errors.EC2Error('MissingAction', 'The request must contain the '
                                  'parameter Action.')
        ctx = _authenticate(req, pairs, body)
        act, known = actions.lookup(name)
        if act is None:
            if known:
                raise errors.EC2Error('NotImplemented', f'The action {name} is not '
                                      'implemented by this cloud.', 501)
            raise errors.EC2Error('InvalidAction', f'The action {name[:64]} is not valid '
                                  'for this web service.')
        _authorize(ctx, act)
        if p.bool('DryRun'):
            raise errors.EC2Error('DryRunOperation', 'Request would have succeeded, but '
                                  'DryRun flag is set.', 412)
        result = act.handler(ctx, p)
        return _xml(200, xmlresp.render(name, rid, result))
    except errors.EC2Error as exc:
        return error_response(exc, rid)
    except Exception:
        LOG.exception('%s EC2 request failed', rid)
        return error_response(errors.EC2Error(
            'InternalError', 'An internal error has occurred.', 500), rid)


@wsgi.public
def query(req):
    """Every EC2 action (authenticated in-band by its signature)."""
    return dispatch(req)


def build_app():
    r = EC2Router(max_body=CONF.api.max_request_body_size,
                  request_id_headers=('x-amzn-RequestId',))
    r.add(['GET', 'POST'], '/', query)
    return r
