"""Charts as inline SVG rendered on the server (no JavaScript, no chart
library), and CSV that a spreadsheet opens without running formulas.

``bar_chart`` draws vertical bars (one a label: the days of a month) or
horizontal ones (named categories: the meters); every chart has a <title>
and a <desc> (role="img", aria-labelledby) and the page puts the same
numbers in a table next to it."""
import csv
import io
import re
from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 56, 28, 12


def number(value):
    """A Decimal of an API's amount (a string or number); 0 when it is none."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return Decimal(0)
    return d if d.is_finite() else Decimal(0)


def _fmt(d):
    d = number(d)
    return f'{d:.2f}'


def _axis_max(values):
    top = max(values, default=Decimal(0))
    return top if top > 0 else Decimal(1)


def bar_chart(ident, title, desc, points, unit='', horizontal=False):
    """An SVG bar chart of ``points`` [(label, value)] with ``title`` and
    ``desc`` (shown to assistive technology); ``ident`` makes its ids unique
    on the page. Values below zero are drawn as zero."""
    values = [max(number(v), Decimal(0)) for _, v in points]
    top = _axis_max(values)
    tid, did = f'{ident}-title', f'{ident}-desc'
    height = HEIGHT if not horizontal else PAD_TOP + 26 * max(len(points), 1) + 8
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
           f'aria-labelledby="{escape(tid)} {escape(did)}">',
           f'<title id="{escape(tid)}">{escape(title)}</title>',
           f'<desc id="{escape(did)}">{escape(desc)}</desc>']
    if not points:
        out.append(f'<text class="chart-empty" x="{WIDTH // 2}" y="{height // 2}" '
                   f'text-anchor="middle">No data</text>')
    elif horizontal:
        label_w, plot_w = 160, WIDTH - 160 - 90
        for i, ((label, _v), v) in enumerate(zip(points, values, strict=True)):
            y = PAD_TOP + 26 * i
            w = float(v / top) * plot_w
            out.append(f'<text class="chart-label" x="{label_w - 6}" y="{y + 15}" '
                       f'text-anchor="end">{escape(str(label)[:24])}</text>')
            out.append(f'<rect class="chart-bar" x="{label_w}" y="{y + 2}" '
                       f'width="{w:.1f}" height="18"><title>{escape(label)}: '
                       f'{_fmt(v)} {escape(unit)}</title></rect>')
            out.append(f'<text class="chart-value" x="{label_w + w + 4:.1f}" '
                       f'y="{y + 15}">{_fmt(v)}</text>')
    else:
        plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
        base = PAD_TOP + plot_h
        out.append(f'<line class="chart-axis" x1="{PAD_LEFT}" y1="{base}" '
                   f'x2="{WIDTH - 8}" y2="{base}"/>')
        out.append(f'<text class="chart-label" x="{PAD_LEFT - 4}" y="{PAD_TOP + 10}" '
                   f'text-anchor="end">{_fmt(top)}</text>')
        out.append(f'<text class="chart-label" x="{PAD_LEFT - 4}" y="{base}" '
                   f'text-anchor="end">0</text>')
        step = plot_w / len(points)
        every = max(1, len(points) // 10)
        for i, ((label, _v), v) in enumerate(zip(points, values, strict=True)):
            h = float(v / top) * plot_h
            x = PAD_LEFT + i * step
            out.append(f'<rect class="chart-bar" x="{x + step * 0.1:.1f}" '
                       f'y="{base - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}">'
                       f'<title>{escape(label)}: {_fmt(v)} {escape(unit)}</title></rect>')
            if i % every == 0:
                out.append(f'<text class="chart-label" x="{x + step / 2:.1f}" '
                           f'y="{base + 16}" text-anchor="middle">'
                           f'{escape(str(label)[-5:])}</text>')
    out.append('</svg>')
    return Markup(''.join(out))


# --- CSV -----------------------------------------------------------------------------

FORMULA_START = ('=', '+', '-', '@', '\t', '\r')
PLAIN_NUMBER = re.compile(r'^-?[0-9]+(\.[0-9]+)?$')


def csv_cell(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets
    a leading quote (OWASP's CSV injection advice); a plain number, even
    negative, stays a number."""
    text = '' if value is None else str(value)
    if PLAIN_NUMBER.match(text):
        return text
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header, rows):
    """CSV text (RFC 4180, CRLF) of ``header`` and ``rows``, every cell made
    safe with csv_cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\r\n')
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        w.writerow([csv_cell(c) for c in row])
    return buf.getvalue()
