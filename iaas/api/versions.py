"""Placeholder root document until the identity API (issue #3) lands."""
from iaas import wsgi


def placeholder_app(name):
    router = wsgi.Router()
    router.add('GET', '/', lambda req: {'service': name, 'versions': []})
    return router
