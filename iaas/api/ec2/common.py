"""What every Describe call shares: EC2 filters with ``*``/``?`` wildcards,
``MaxResults``/``NextToken`` pages ordered by a stable key, and the
id lists (``InstanceId.N``) that must all exist."""
import base64
import binascii
import functools
import re

from iaas.api.ec2 import errors
from iaas.conf import CONF


@functools.lru_cache(maxsize=1024)
def _pattern(value):
    """A compiled EC2 filter value: ``*`` any run, ``?`` one character,
    ``\\*`` ``\\?`` ``\\\\`` literal (values are at most 255 characters)."""
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == '\\' and i + 1 < len(value) and value[i + 1] in '*?\\':
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append('.*' if c == '*' else '.' if c == '?' else re.escape(c))
        i += 1
    return re.compile(''.join(out), re.S)


def matches(filters, fields):
    """Whether a resource passes ``filters`` ({name: [values]}): every
    filter name must match one of its values. ``fields`` maps a filter name
    to the resource's value(s) for it (a str, a list, None or a bool)."""
    for name, wanted in filters.items():
        have = fields.get(name)
        if have is None:
            return False
        have = [have] if not isinstance(have, (list, tuple, set)) else have
        have = ['true' if h is True else 'false' if h is False else str(h) for h in have]
        if not any(_pattern(w).fullmatch(h) for w in wanted for h in have):
            return False
    return True


def tag_fields(tags):
    """Filter fields of a resource's tags ({key: value}): ``tag:K``,
    ``tag-key``, ``tag-value``."""
    out = {f'tag:{k}': v for k, v in tags.items()}
    out['tag-key'] = list(tags)
    out['tag-value'] = list(tags.values())
    return out


_TOKEN = re.compile(r'^p1\.[A-Za-z0-9_-]+=*$')


def _token(key):
    return 'p1.' + base64.urlsafe_b64encode(key.encode()).decode()


def _after(token):
    if not _TOKEN.match(token):
        raise errors.EC2Error('InvalidNextToken', 'The token is invalid.')
    try:
        return base64.urlsafe_b64decode(token[3:].encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise errors.EC2Error('InvalidNextToken', 'The token is invalid.') from None


def page(p, items, key, max_results_min=5):
    """(items of this page, NextToken or None) of ``items`` ordered by
    ``key(item)``; each item appears in exactly one page even when items
    come and go between calls (the token is the last key shown)."""
    limit = p.int('MaxResults', low=max_results_min, high=CONF.ec2.max_results)
    token = p.str('NextToken', max_len=1024)
    if limit is not None and p.names() and _has_ids(p):
        raise errors.combination('The parameter MaxResults cannot be used with explicit '
                                 'resource ids.')
    items = sorted(items, key=key)
    if token:
        after = _after(token)
        items = [i for i in items if key(i) > after]
    limit = limit or CONF.ec2.max_results
    if len(items) > limit:
        return items[:limit], _token(key(items[limit - 1]))
    return items, None


def _has_ids(p):
    return any(n.endswith('Id') and p.list(n) for n in p.names()
               if n not in ('ClientToken',) and isinstance(p._tree.get(n), dict))
