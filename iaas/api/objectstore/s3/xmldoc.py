"""S3 XML documents and errors."""
import uuid
import xml.etree.ElementTree as ET

import webob

NS = 'http://s3.amazonaws.com/doc/2006-03-01/'

ERRORS = {
    'AccessDenied': (403, 'Access Denied.'),
    'BadDigest': (400, 'The Content-MD5 you specified did not match what we received.'),
    'BucketAlreadyExists': (409, 'The requested bucket name is not available. The bucket '
                                 'namespace is shared by all users of the system. Please '
                                 'select a different name and try again.'),
    'BucketAlreadyOwnedByYou': (409, 'Your previous request to create the named bucket '
                                     'succeeded and you already own it.'),
    'BucketNotEmpty': (409, 'The bucket you tried to delete is not empty'),
    'EntityTooLarge': (400, 'Your proposed upload exceeds the maximum allowed object size.'),
    'EntityTooSmall': (400, 'Your proposed upload is smaller than the minimum allowed '
                            'object size.'),
    'InternalError': (500, 'We encountered an internal error. Please try again.'),
    'InvalidAccessKeyId': (403, 'The AWS Access Key Id you provided does not exist in our '
                                'records.'),
    'InvalidArgument': (400, 'Invalid Argument'),
    'InvalidBucketName': (400, 'The specified bucket is not valid.'),
    'InvalidDigest': (400, 'The Content-MD5 you specified is not valid.'),
    'InvalidPart': (400, 'One or more of the specified parts could not be found.'),
    'InvalidPartOrder': (400, 'The list of parts was not in ascending order.'),
    'InvalidRange': (416, 'The requested range is not satisfiable'),
    'InvalidRequest': (400, 'Invalid Request'),
    'MalformedACLError': (400, 'The XML you provided was not well-formed or did not '
                               'validate against our published schema.'),
    'MalformedXML': (400, 'The XML you provided was not well-formed or did not validate '
                          'against our published schema.'),
    'MethodNotAllowed': (405, 'The specified method is not allowed against this resource.'),
    'MissingContentLength': (411, 'You must provide the Content-Length HTTP header.'),
    'NoSuchBucket': (404, 'The specified bucket does not exist'),
    'NoSuchKey': (404, 'The specified key does not exist.'),
    'NoSuchUpload': (404, 'The specified multipart upload does not exist.'),
    'NotImplemented': (501, 'A header you provided implies functionality that is not '
                            'implemented.'),
    'ObjectLockConfigurationNotFoundError': (404, 'Object Lock configuration does not '
                                                  'exist for this bucket'),
    'PreconditionFailed': (412, 'At least one of the preconditions you specified did not '
                                'hold.'),
    'ServiceUnavailable': (503, 'Please reduce your request rate.'),
    'SignatureDoesNotMatch': (403, 'The request signature we calculated does not match the '
                                   'signature you provided.'),
    'UnexpectedContent': (400, 'This request does not support content.'),
    'XAmzContentSHA256Mismatch': (400, "The provided 'x-amz-content-sha256' header does not "
                                       'match what was computed.'),
}


class S3Error(Exception):
    def __init__(self, code, message=None, status=None, **extra):
        default_status, default_msg = ERRORS.get(code, (400, code))
        super().__init__(message or default_msg)
        self.code = code
        self.message = message or default_msg
        self.status = status or default_status
        self.extra = extra


def error_response(code, message, status, resource='', method='GET', extra=None,
                   request_id=None):
    root = ET.Element('Error')
    request_id = request_id or 'tx' + uuid.uuid4().hex[:21]
    # no <Resource> (as Swift's s3api): the body echoes nothing of the request
    for tag, text in [('Code', code), ('Message', message),
                      ('RequestId', request_id), ('HostId', request_id)] + \
            list((extra or {}).items()):
        ET.SubElement(root, tag).text = str(text)
    resp = webob.Response(status=status, charset=None, content_type='application/xml')
    resp.body = b'' if method == 'HEAD' else _dump(root)
    return resp


def element(tag, children=None, ns=True):
    root = ET.Element(tag, {'xmlns': NS} if ns else {})
    for k, v in (children or []):
        add(root, k, v)
    return root


def add(parent, tag, value=None):
    el = ET.SubElement(parent, tag)
    if isinstance(value, (list, tuple)):
        for k, v in value:
            add(el, k, v)
    elif value is not None:
        el.text = str(value).lower() if isinstance(value, bool) else str(value)
    return el


def _dump(root):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def xml_response(root, status=200, headers=None):
    # (webob drops content_type when headers= is given, even empty)
    resp = webob.Response(status=status, charset=None, content_type='application/xml')
    resp.headers.update(headers or {})
    resp.body = _dump(root)
    return resp


def parse(body, max_size=1 << 20):
    if len(body) > max_size:
        raise S3Error('MalformedXML')
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise S3Error('MalformedXML') from None
    for el in root.iter():   # drop namespaces
        if '}' in el.tag:
            el.tag = el.tag.split('}', 1)[1]
    return root


def max_keys(query, limit=1000):
    """A listing's max-keys (``query``: the request's GET params), at most
    ``limit``; S3's InvalidArgument when it is not a number >= 0."""
    try:
        n = min(int(query.get('max-keys', limit)), limit)
    except ValueError:
        raise S3Error('InvalidArgument', 'Provided max-keys not an integer or within '
                                         'integer range') from None
    if n < 0:
        raise S3Error('InvalidArgument', 'max-keys must be >= 0')
    return n
