"""Account quotas (Swift's account_quotas): ``X-Account-Quota-Bytes`` /
``-Count`` (and the legacy ``X-Account-Meta-Quota-Bytes``, and per policy
``X-Account-Quota-Bytes-Policy-<name>``) limit what an object PUT may add.

Who may call: only a reseller admin sets or removes a quota (anyone else
403, before anything is written); the account's readers see it. A PUT over
quota is 413, after the caller is known to be allowed to write there (so
the quota is not leaked to others); resellers are not held to quotas.
"""
from iaas.api.objectstore import listing
from iaas.api.objectstore.errors import HTTPError
from iaas.api.objectstore.middleware import common

KINDS = ('Quota-Bytes', 'Quota-Count')
POLICIES = ((listing.DEFAULT_POLICY, 0),)   # (name, index) of the storage policies
QUOTA_KEYS = ('quota-bytes', 'quota-count', 'quota-bytes-policy-0', 'quota-count-policy-0')


def swift_info(proxy):
    return {'account_quotas': {}}


def _translate(req, kind, reseller):
    new = {None: req.headers.get(f'X-Account-{kind}')}
    if req.headers.get(f'X-Remove-Account-{kind}'):
        new[None] = ''
    for name, idx in POLICIES:
        tail = f'Account-{kind}-Policy-{name}'
        if req.headers.get('X-Remove-' + tail):
            new[idx] = ''
        else:
            new[idx] = req.headers.pop('X-' + tail, None)
    if reseller:
        if any(v and not v.isdigit() for v in new.values()):
            raise HTTPError(400)
        for idx, v in new.items():
            if v is None:
                continue
            hdr = f'X-Account-Sysmeta-{kind}' if idx is None else \
                f'X-Account-Sysmeta-{kind}-Policy-{idx}'
            req.headers[hdr] = v
        req.environ['iaas.objectstore.sysmeta_ok'] = True
    elif any(v is not None for v in new.values()):
        raise HTTPError(403)


def _quota(info, key, legacy=False):
    value = info['sysmeta'].get(key)
    if value in (None, '') and legacy:
        value = info['meta'].get(key)
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def make(proxy, app):
    def account_request(req, account):
        if req.method in ('POST', 'PUT'):
            for k in [k for k in req.headers if k.lower().startswith(
                    ('x-account-sysmeta-', 'x-remove-account-sysmeta-'))]:
                del req.headers[k]
            for legacy in ('X-Account-Meta-Quota-Bytes', 'X-Remove-Account-Meta-Quota-Bytes'):
                value = req.headers.get(legacy)
                new = legacy.replace('-Meta-', '-')
                if value is not None and not req.headers.get(new):
                    req.headers[new] = value
            ident = common.identify(proxy, req)
            reseller = bool(ident is not None and ident.reseller)
            for kind in KINDS:
                _translate(req, kind, reseller)
        try:
            resp = app(req)
        finally:
            if req.method not in ('GET', 'HEAD'):
                common.forget_account(proxy, account)
        if req.method in ('GET', 'HEAD') and resp.status_int < 300:
            # the proxy hides sysmeta: the quotas come from the account's own headers
            sysmeta = common.account_info(proxy, account)['sysmeta']
            for kind in KINDS:
                value = sysmeta.get(kind.lower())
                if value:
                    resp.headers[f'X-Account-{kind}'] = value
                for name, idx in POLICIES:
                    value = sysmeta.get(f'{kind.lower()}-policy-{idx}')
                    if value:
                        resp.headers[f'X-Account-{kind}-Policy-{name}'] = value
        for k in [k for k in resp.headers if k.lower().startswith('x-account-sysmeta-')]:
            del resp.headers[k]
        return resp

    def over_quota(req, account):
        info = common.account_info(proxy, account)
        if info['status'] >= 300:
            return False
        if any(_quota(info, k, legacy=True) >= 0 for k in QUOTA_KEYS):
            info = common.account_info(proxy, account, fresh=True)   # usage changes per PUT
        length = req.content_length or 0
        quota = _quota(info, 'quota-bytes', legacy=True)
        if 0 <= quota < info['bytes'] + length:
            return True
        quota = _quota(info, 'quota-count')
        if 0 <= quota < info['object_count'] + 1:
            return True
        for key, used in (('quota-bytes-policy-0', info['bytes'] + length),
                          ('quota-count-policy-0', info['object_count'] + 1)):
            quota = _quota(info, key)
            if 0 <= quota < used:
                return True
        return False

    def handler(req):
        parts = common.client_path(req)
        if parts is None:
            return app(req)
        account, container, obj = parts
        if container is None:
            return account_request(req, account)
        if req.method != 'PUT' or not obj:
            return app(req)
        ident = common.identify(proxy, req)
        if ident is not None and ident.reseller:
            return app(req)
        if over_quota(req, account):
            proxy.authorize(ident, 'PUT', account, container, obj)   # 401/403 first
            raise HTTPError(413, 'Upload exceeds quota.')
        return app(req)
    return handler
