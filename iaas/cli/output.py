"""Tables (default), JSON (``-f json``) or bare values (``-f value``)."""
import json
import sys

FORMATS = ('table', 'json', 'value')


def add_arguments(parser, suppress=False):
    """``-f/--format`` and ``-c/--column`` (on the top parser and every command)."""
    import argparse
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument('-f', '--format', choices=FORMATS, default=default,
                        help='output format (default: table)')
    parser.add_argument('-c', '--column', dest='columns', action='append', default=default,
                        metavar='COLUMN', help='show only this column (repeatable)')


def cell(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _table(headers, rows):
    cells = [[cell(v).splitlines() or [''] for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))
    sep = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(values):
        return '| ' + ' | '.join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + ' |'

    out = [sep, line(headers), sep]
    for row in cells:
        height = max(len(lines) for lines in row)
        for k in range(height):
            out.append(line([lines[k] if k < len(lines) else '' for lines in row]))
    out.append(sep)
    return '\n'.join(out)


def _pick(args, headers):
    wanted = getattr(args, 'columns', None)
    if not wanted:
        return list(range(len(headers)))
    lower = [h.lower() for h in headers]
    idx = []
    for w in wanted:
        if w.lower() in lower:
            idx.append(lower.index(w.lower()))
    return idx or list(range(len(headers)))


def print_list(args, headers, rows, out=None):
    """A list of resources: ``rows`` are lists in the order of ``headers``."""
    out = out or sys.stdout
    idx = _pick(args, headers)
    headers = [headers[i] for i in idx]
    rows = [[row[i] for i in idx] for row in rows]
    fmt = getattr(args, 'format', None) or 'table'
    if fmt == 'json':
        print(json.dumps([dict(zip(headers, r, strict=True)) for r in rows], indent=2,
                         default=str), file=out)
    elif fmt == 'value':
        for r in rows:
            print(' '.join(cell(v) for v in r), file=out)
    else:
        print(_table(headers, rows), file=out)


def print_dict(args, data, out=None):
    """One resource as Field | Value (JSON: the object itself)."""
    out = out or sys.stdout
    keys = list(data)
    wanted = getattr(args, 'columns', None)
    if wanted:
        lower = {k.lower(): k for k in keys}
        keys = [lower[w.lower()] for w in wanted if w.lower() in lower] or keys
    fmt = getattr(args, 'format', None) or 'table'
    if fmt == 'json':
        print(json.dumps({k: data[k] for k in keys}, indent=2, default=str), file=out)
    elif fmt == 'value':
        for k in keys:
            print(cell(data[k]), file=out)
    else:
        print(_table(['Field', 'Value'], [[k, data[k]] for k in keys]), file=out)
