"""Container quotas (Swift's container_quotas): ``X-Container-Meta-Quota-Bytes``
and ``X-Container-Meta-Quota-Count`` limit what object PUTs may add.

Who may call: whoever may set the container's metadata sets them (the
values must be whole numbers, else 400); an object PUT over quota is 413,
answered only to a caller allowed to write there (others get their 401/403).
"""
from iaas.api.objectstore.errors import HTTPError
from iaas.api.objectstore.middleware import common


def swift_info(proxy):
    return {'container_quotas': {}}


def make(proxy, app):
    def handler(req):
        parts = common.client_path(req)
        if parts is None or parts[1] is None:
            return app(req)
        account, container, obj = parts
        if not obj and req.method in ('PUT', 'POST'):
            for kind, what in (('Bytes', 'bytes'), ('Count', 'count')):
                val = req.headers.get(f'X-Container-Meta-Quota-{kind}')
                if val and not val.isdigit():
                    raise HTTPError(400, f'Invalid {what} quota.')
        elif obj and req.method == 'PUT':
            info = common.container_info(proxy, account, container)
            if 200 <= info['status'] < 300 and has_quota(info):
                info = usage(req, info, account, container)
            if 200 <= info['status'] < 300 and over_quota(info, req.content_length or 0):
                ident = common.identify(proxy, req)
                proxy.authorize(ident, 'PUT', account, container, obj)
                raise HTTPError(413, 'Upload exceeds quota.')
        return app(req)

    def usage(req, info, account, container):
        """Fresh totals (usage changes with every PUT), as the filters inside
        report them (object versioning adds its versions), else the store's."""
        common.identify(proxy, req)
        head = common.call(proxy, app, common.make_request(
            req, 'HEAD', f'/v1/{account}/{container}'))
        if head.status_int < 300:
            try:
                return dict(info, bytes=int(head.headers['X-Container-Bytes-Used']),
                            object_count=int(head.headers['X-Container-Object-Count']))
            except (KeyError, ValueError):
                pass
        return common.container_info(proxy, account, container, fresh=True)
    return handler


def has_quota(info):
    return any(info['meta'].get(k, '').isdigit() for k in ('quota-bytes', 'quota-count'))


def over_quota(info, length):
    q = info['meta'].get('quota-bytes', '')
    if q.isdigit() and int(q) < info['bytes'] + length:
        return True
    q = info['meta'].get('quota-count', '')
    return q.isdigit() and int(q) < info['object_count'] + 1
