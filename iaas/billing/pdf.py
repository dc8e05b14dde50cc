"""An invoice as a PDF document: plain text in Courier on A4 pages, made
here without a PDF library (the format's text subset is small: a page is
a content stream of ``Tj`` lines; objects are indexed by byte offset).
"""
import decimal

from iaas.billing import invoices

PAGE_W, PAGE_H = 595, 842             # A4 in points
MARGIN, SIZE, LEADING = 40, 8, 11
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING
WIDTH = 110                           # characters per line at 8 pt Courier


def _text(value, key=None):
    if isinstance(value, decimal.Decimal):
        return invoices._dec(value, key in invoices.TIDY)
    if hasattr(value, 'isoformat'):
        return value.isoformat(sep=' ', timespec='seconds')
    return '' if value is None else str(value)


def _escape(line):
    line = line.encode('latin-1', 'replace').decode('latin-1')
    return line.replace('\\', '\\\\').replace('(', '\\(').replace(')', '\\)')


def invoice_lines(inv):
    """The invoice as text lines (also what tests read back)."""
    cur = inv['currency']
    out = [f"INVOICE {inv.get('id') or '(draft)'}",
           f"Project {inv['project_id']}   Period {inv['period']}   State {inv['state']}",
           f"Region {inv.get('region') or ''}   Currency {cur}   "
           f"As of {_text(inv.get('as_of'))}", '',
           f"{'resource':<38} {'meter':<18} {'quantity':>14} {'unit':<9} "
           f"{'unit price':>12} {'amount':>12}",
           '-' * WIDTH]
    for ln in inv['lines']:
        res = f"{ln.get('resource_type', '')}:{ln.get('resource_id', '')}"[:38]
        meter = f"{ln.get('meter', '')}"[:18]
        out.append(f"{res:<38} {meter:<18} {_text(ln.get('quantity'), 'quantity'):>14} "
                   f"{_text(ln.get('unit'))[:9]:<9} {_text(ln.get('unit_price'), 'unit_price'):>12} "
                   f"{_text(ln.get('amount')):>12}")
        out.append(f"    {_text(ln.get('start_at'))} - {_text(ln.get('end_at'))}"
                   f"{'   key ' + ln['price_key'] if ln.get('price_key') not in (None, '*') else ''}")
    out.append('-' * WIDTH)
    for key in ('subtotal', 'discount', 'credits', 'tax', 'total'):
        if key in inv:
            out.append(f"{key:>90} {_text(inv[key]):>12} {cur}")
    if inv.get('forecast'):
        out.append(f"{'forecast total to month end':>90} "
                   f"{_text(inv['forecast']['total']):>12} {cur}")
    return [line[:WIDTH] for line in out]


def render(inv):
    """PDF bytes of an invoice."""
    lines = invoice_lines(inv)
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects = []        # bodies; object n is objects[n - 1]
    n_pages = len(pages)
    kids = ' '.join(f'{4 + 2 * i} 0 R' for i in range(n_pages))
    objects.append('<< /Type /Catalog /Pages 2 0 R >>')
    objects.append(f'<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>')
    objects.append('<< /Type /Font /Subtype /Type1 /BaseFont /Courier '
                   '/Encoding /WinAnsiEncoding >>')
    for page in pages:
        ops = [f'BT /F1 {SIZE} Tf {LEADING} TL {MARGIN} {PAGE_H - MARGIN} Td']
        ops += [f'({_escape(line)}) Tj T*' for line in page]
        ops.append('ET')
        stream = '\n'.join(ops).encode('latin-1')
        page_no = len(objects) + 1
        objects.append(f'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] '
                       f'/Resources << /Font << /F1 3 0 R >> >> /Contents {page_no + 1} 0 R >>')
        objects.append((f'<< /Length {len(stream)} >>\nstream\n'.encode() + stream
                        + b'\nendstream'))
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f'{i} 0 obj\n'.encode()
        out += body if isinstance(body, bytes) else body.encode('latin-1')
        out += b'\nendobj\n'
    xref = len(out)
    out += f'xref\n0 {len(objects) + 1}\n0000000000 65535 f \n'.encode()
    for off in offsets:
        out += f'{off:010d} 00000 n \n'.encode()
    out += (f'trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n'
            f'startxref\n{xref}\n%%EOF\n').encode()
    return bytes(out)
