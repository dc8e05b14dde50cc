"""The usage page's server-side SVG charts and its invoice CSV."""
import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

from iaas.dashboard import charts, usage

SVG = '{http://www.w3.org/2000/svg}'


def _parse(markup):
    return ET.fromstring(str(markup))


def test_bar_chart_is_accessible_svg():
    svg = _parse(charts.bar_chart('c1', 'Cost per day', 'One bar a day.',
                                  [('2026-12-01', '1.50'), ('2026-12-02', 3)], 'EUR'))
    assert svg.tag == SVG + 'svg'
    assert svg.get('role') == 'img' and svg.get('aria-labelledby') == 'c1-title c1-desc'
    assert svg.find(SVG + 'title').text == 'Cost per day'
    assert svg.find(SVG + 'title').get('id') == 'c1-title'
    assert svg.find(SVG + 'desc').text == 'One bar a day.'
    bars = svg.findall(SVG + 'rect')
    assert len(bars) == 2
    heights = [float(b.get('height')) for b in bars]
    assert heights[1] > heights[0] > 0
    assert heights[1] == 2 * heights[0]
    assert bars[0].find(SVG + 'title').text == '2026-12-01: 1.50 EUR'
    assert 'style' not in str(charts.bar_chart('c', 't', 'd', [('a', 1)]))  # CSP


def test_bar_chart_escapes_and_survives_odd_values():
    markup = str(charts.bar_chart('c"2', '<script>x</script>', 'a & b', [
        ('<img onerror=1>', 'NaN'), ('b', None), ('c', '-4'), ('d', 'Infinity'),
        ('e', '2')], horizontal=True))
    assert '<script>' not in markup and '<img' not in markup
    svg = _parse(markup)
    assert svg.find(SVG + 'title').text == '<script>x</script>'
    widths = [float(r.get('width')) for r in svg.findall(SVG + 'rect')]
    assert widths[:4] == [0, 0, 0, 0] and widths[4] > 0


def test_bar_chart_without_data():
    svg = _parse(charts.bar_chart('c', 'Nothing', 'No bars.', []))
    assert svg.findall(SVG + 'rect') == []
    assert 'No data' in ''.join(svg.itertext())
    zero = _parse(charts.bar_chart('z', 'Zero', 'All zero.', [('a', 0), ('b', '0.00')]))
    assert all(float(r.get('height')) == 0 for r in zero.findall(SVG + 'rect'))


def test_csv_cells_cannot_be_formulas():
    for bad in ('=1+2', '+SUM(A1)', '-2+3', '@cmd', '\t=x', '\r=x', '=HYPERLINK("x")'):
        assert charts.csv_cell(bad) == "'" + bad
    for ok in ('vm-1', 'instance', '1.50', '-5.00', '0', '', None, 3, Decimal('-1.2')):
        assert charts.csv_cell(ok) == ('' if ok is None else str(ok))
    text = charts.to_csv(['a', '=b'], [['=cmd|x', 'quote "here", comma'], [None, '-1']])
    assert text.endswith('\r\n')
    assert list(csv.reader(io.StringIO(text))) == [
        ['a', "'=b"], ["'=cmd|x", 'quote "here", comma'], ['', '-1']]


def test_invoice_csv():
    inv = {'currency': 'EUR', 'subtotal': '3.00', 'tax': '0.60', 'total': '3.60',
           'lines': [{'resource_type': 'instance', 'resource_id': '=evil()',
                      'meter': 'instance.hours', 'price_key': 'm1.small',
                      'start_at': '2026-12-01T00:00:00Z', 'end_at': '2026-12-02T00:00:00Z',
                      'quantity': '24', 'unit': 'hour', 'unit_price': '0.125',
                      'amount': '3.00'}]}
    rows = list(csv.reader(io.StringIO(usage.invoice_csv(inv))))
    assert rows[0] == usage.CSV_HEADER
    assert rows[1][:3] == ['instance', "'=evil()", 'instance.hours']
    assert rows[1][-2:] == ['3.00', 'EUR']
    assert [r[2] for r in rows[2:]] == ['Subtotal', 'Tax', 'Total']
    assert rows[-1][-2:] == ['3.60', 'EUR']


def test_daily_cost_and_meters():
    lines = [{'meter': 'instance.hours', 'price_key': 'small', 'unit_price': '0.10',
              'quantity': '30', 'amount': '3.00', 'unit': 'hour', 'start_at': '2026-12-01'},
             {'meter': 'volume.gib_hours', 'price_key': '*', 'unit_price': '0.01',
              'quantity': '48', 'amount': '0.48', 'unit': 'GiB-hour',
              'start_at': '2026-12-01'}]
    rows = [{'start': '2026-12-01T00:00:00Z', 'meter': 'instance.hours',
             'price_key': 'small', 'quantity': 24},
            {'start': '2026-12-02T00:00:00Z', 'meter': 'instance.hours',
             'price_key': 'small', 'quantity': 6},
            {'start': '2026-12-02T00:00:00Z', 'meter': 'volume.gib_hours',
             'price_key': '*', 'quantity': '48'},
            {'start': '2026-11-30T00:00:00Z', 'meter': 'instance.hours',
             'price_key': 'small', 'quantity': 99}]
    days = usage.daily_cost(rows, lines, dt.date(2026, 12, 1), 3)
    assert days == [('2026-12-01', Decimal('2.40')), ('2026-12-02', Decimal('1.08')),
                    ('2026-12-03', Decimal('0.00'))]
    meters = usage.by_meter(lines)
    assert [m['meter'] for m in meters] == ['instance.hours', 'volume.gib_hours']
    assert meters[0]['amount'] == Decimal('3.00') and meters[0]['quantity_text'] == '30'
