"""Static web sites from containers (Swift's staticweb).

Container metadata: ``X-Container-Meta-Web-Index`` (served for ``.../``),
``-Web-Listings`` (HTML listings when there is no index), ``-Web-Listings-CSS``,
``-Web-Listings-Label``, ``-Web-Error`` (``<status><suffix>`` error pages),
``-Web-Directory-Type`` (default ``application/directory``).

Who may call: it applies to anonymous GET/HEAD (and tempurl requests, and
token holders who send ``X-Web-Mode: true``); every page and subrequest is
read as that caller, so the container's read ACL (``.r:*`` for objects,
``.rlistings`` for listings) decides what is shown, as for any read.
"""
import html
import json
import urllib.parse

import webob

from iaas.api.objectstore.middleware import common

TRUE = ('true', '1', 'yes', 'on', 't', 'y')
DIR_TYPE = 'application/directory'


def swift_info(proxy):
    return {'staticweb': {}}


def human_readable(value):
    value, index, suffixes = float(value), -1, 'KMGTPEZY'
    while value >= 1024 and index + 1 < len(suffixes):
        index += 1
        value = round(value / 1024)
    return '%d' % value if index == -1 else '%d%si' % (round(value), suffixes[index])


def _quote(s, safe='/'):
    return urllib.parse.quote(s, safe=safe)


class _Site:
    def __init__(self, proxy, app, req, account, container, obj):
        self.proxy, self.app, self.req = proxy, app, req
        self.account, self.container, self.obj = account, container, obj
        info = common.container_info(proxy, account, container)
        self.info = info
        meta = info['meta'] if 200 <= info['status'] < 300 else {}
        self.index = meta.get('web-index', '').strip()
        self.error = meta.get('web-error', '').strip()
        self.listings = meta.get('web-listings', '').strip()
        self.label = meta.get('web-listings-label', '').strip()
        self.css = meta.get('web-listings-css', '').strip()
        self.dir_type = meta.get('web-directory-type', '').strip() or DIR_TYPE

    def sub(self, path, query=''):
        r = common.make_request(self.req, self.req.method if not query else 'GET', path,
                                query_string=query)
        for h in ('If-Match', 'If-None-Match', 'If-Modified-Since', 'Range'):
            if h in self.req.headers and not query:
                r.headers[h] = self.req.headers[h]
        return common.call(self.proxy, self.app, r)

    def base(self):
        return f'/v1/{self.account}/{self.container}'

    def error_response(self, resp):
        if not self.error:
            return resp
        page = self.sub(f'{self.base()}/{resp.status_int}{self.error}')
        if page.status_int < 300 and self.req.method == 'GET':
            page.status = resp.status
            return page
        return resp

    def redirect(self):
        path = self.req.path_info + '/'
        return webob.Response(status=301, location=self.req.host_url + _quote(path),
                              content_type='text/html', charset='UTF-8', body=b'')

    def css_path(self, prefix):
        if self.css.startswith(('/', 'http://', 'https://')):
            return _quote(self.css, '/:')
        return '../' * prefix.count('/') + _quote(self.css)

    def head_html(self, label, style):
        body = ('<!DOCTYPE html>\n<html>\n <head>\n'
                f'  <title>Listing of {html.escape(label)}</title>\n')
        if self.css:
            return body + ('  <link rel="stylesheet" type="text/css" '
                           f'href="{self.css_path(self._prefix)}" />\n')
        return body + '  <style type="text/css">\n' + style + '  </style>\n'

    def listing(self, prefix=''):
        self._prefix = prefix
        label = self.req.path_info
        if self.label:
            label = '{0}/{1}'.format(self.label, '/'.join(label.split('/')[4:]))
        if self.listings.lower() not in TRUE:
            body = self.head_html(label, '   h1 {font-size: 1em; font-weight: bold;}\n'
                                         '   p {font-size: 2}\n')
            body += ('</head>\n<body>  <h1>Web Listing Disabled</h1>'
                     '   <p>The owner of this web site has disabled web listing.'
                     '   <p>If you are the owner of this web site, you can enable'
                     '   web listing by setting X-Container-Meta-Web-Listings.</p>')
            if self.index:
                body += ('<h1>Index File Not Found</h1>'
                         ' <p>The owner of this web site has set '
                         f' <b>X-Container-Meta-Web-Index: {html.escape(self.index)}</b>. '
                         ' However, this file is not found.</p>')
            body += ' </body>\n</html>\n'
            return self.error_response(webob.Response(
                status=404, body=body.encode(), content_type='text/html', charset='UTF-8'))
        query = 'format=json&delimiter=/'
        if prefix:
            query += '&prefix=' + _quote(prefix, '')
        resp = self.sub(self.base(), query)
        if resp.status_int >= 300:
            return self.error_response(resp)
        rows = json.loads(resp.body or b'[]')
        if prefix and not rows:
            return self.error_response(common.text_response(404, 'Not Found'))
        qs, tu_prefix = self.tempurl_query()
        body = self.head_html(label, '   h1 {font-size: 1em; font-weight: bold;}\n'
                                     '   th {text-align: left; padding: 0px 1em 0px 1em;}\n'
                                     '   td {padding: 0px 1em 0px 1em;}\n'
                                     '   a {text-decoration: none;}\n')
        body += (' </head>\n <body>\n'
                 f'  <h1 id="title">Listing of {html.escape(label)}</h1>\n'
                 '  <table id="listing">\n   <tr id="heading">\n'
                 '    <th class="colname">Name</th>\n    <th class="colsize">Size</th>\n'
                 '    <th class="coldate">Date</th>\n   </tr>\n')
        if len(prefix) > len(tu_prefix):
            body += ('   <tr id="parent" class="item">\n'
                     f'    <td class="colname"><a href="../{qs}">../</a></td>\n'
                     '    <td class="colsize">&nbsp;</td>\n'
                     '    <td class="coldate">&nbsp;</td>\n   </tr>\n')
        for row in rows:
            if 'subdir' in row:
                sub = row['subdir'][len(prefix):]
                body += ('   <tr class="item subdir">\n'
                         f'    <td class="colname"><a href="./'
                         f'{_quote(sub).replace(".", "%2E")}{qs}">{html.escape(sub)}</a></td>\n'
                         '    <td class="colsize">&nbsp;</td>\n'
                         '    <td class="coldate">&nbsp;</td>\n   </tr>\n')
        for row in rows:
            if 'name' in row:
                name = row['name'][len(prefix):]
                types = ' '.join('type-' + html.escape(t.lower())
                                 for t in row.get('content_type', '').split('/'))
                modified = html.escape(row.get('last_modified', '')).split('.')[0].replace(
                    'T', ' ')
                body += (f'   <tr class="item {types}">\n'
                         f'    <td class="colname"><a href="./'
                         f'{_quote(name).replace(".", "%2E")}{qs}">{html.escape(name)}</a></td>\n'
                         f'    <td class="colsize">{human_readable(row.get("bytes", 0))}</td>\n'
                         f'    <td class="coldate">{modified}</td>\n   </tr>\n')
        body += '  </table>\n </body>\n</html>\n'
        self.req.environ[common.GENERATOR] = 'staticweb'
        return webob.Response(body=body.encode(), content_type='text/html', charset='UTF-8')

    def tempurl_query(self):
        ident = self.req.environ.get(common.IDENTITY)
        if ident is None or ident.user != '.wsgi.tempurl':
            return '', ''
        q = common.query(self.req)
        prefix = q.get('temp_url_prefix')
        if prefix is None:
            return '', ''
        parts = [f'temp_url_prefix={_quote(prefix)}',
                 f'temp_url_expires={_quote(q.get("temp_url_expires", ""))}',
                 f'temp_url_sig={q.get("temp_url_sig", "")}']
        if q.get('temp_url_ip_range'):
            parts.append(f'temp_url_ip_range={_quote(q["temp_url_ip_range"])}')
        if 'inline' in q:
            parts.append('inline')
        return '?' + '&amp;'.join(parts), prefix

    def serve_container(self, web_mode):
        self.proxy.authorize(self.req.environ.get(common.IDENTITY), 'GET', self.account,
                             self.container)
        if not self.listings and not self.index:
            if web_mode:
                return common.text_response(404, 'Not Found', method=self.req.method)
            return None
        if not self.req.path_info.endswith('/'):
            return self.redirect()
        if not self.index:
            return self.listing()
        resp = self.sub(self.req.path_info + self.index)
        if resp.status_int == 404:
            return self.listing()
        if resp.status_int >= 400:
            return self.error_response(resp)
        return resp

    def serve_object(self):
        path = self.req.path_info
        resp = self.sub(path)
        status = resp.status_int
        if status < 400:
            if resp.content_type == self.dir_type and (resp.content_length or 0) <= 1:
                status = 404
            else:
                return resp
        if status != 404:
            self.error = ''
            return resp
        if not self.listings and not self.index:
            return resp
        if self.index:
            ipath = path if path.endswith('/') else path + '/'
            iresp = self.sub(ipath + self.index)
            status = iresp.status_int
            if status < 400:
                return iresp if path.endswith('/') else self.redirect()
        if status == 404:
            if not path.endswith('/'):
                probe = self.sub(self.base(), 'format=json&limit=1&delimiter=/&prefix='
                                 + _quote(self.obj + '/', ''))
                if probe.status_int >= 300 or not json.loads(probe.body or b'[]'):
                    return self.error_response(common.text_response(404, 'Not Found'))
                return self.redirect()
            return self.listing(self.obj)
        return self.error_response(iresp)


def make(proxy, app):
    def handler(req):
        if common.is_internal(req) or req.method not in ('GET', 'HEAD'):
            return app(req)
        parts = common.swift_path(req)
        if parts is None or not parts[1]:
            return app(req)
        account, container, obj = parts
        web_mode = req.headers.get('X-Web-Mode', 'f').lower() in TRUE
        ident = common.identify(proxy, req)
        if ident is not None and ident.user != '.wsgi.tempurl' and not web_mode:
            return app(req)
        site = _Site(proxy, app, req, account, container, obj)
        if obj:
            if not (site.index or site.listings):
                return app(req)
            return site.serve_object()
        resp = site.serve_container(web_mode)
        return app(req) if resp is None else resp
    return handler
