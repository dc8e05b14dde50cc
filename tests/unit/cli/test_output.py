"""Table/JSON formatting, option placement and error-body parsing."""
import argparse
import json

import requests

from iaas.cli import errors, output


def args(**kw):
    return argparse.Namespace(**kw)


def test_table_multiline_and_none(capsys):
    output.print_list(args(), ['A', 'B'], [['x', None], ['two\nlines', {'k': 1}]])
    out = capsys.readouterr().out.splitlines()
    assert out == ['+-------+----------+', '| A     | B        |', '+-------+----------+',
                   '| x     |          |', '| two   | {"k": 1} |', '| lines |          |',
                   '+-------+----------+']


def test_columns_and_value(capsys):
    output.print_list(args(format='value', columns=['b']), ['A', 'B'], [[1, 2]])
    assert capsys.readouterr().out == '2\n'


def response(status, body, ctype='application/json'):
    r = requests.Response()
    r.status_code = status
    r._content = body.encode()
    r.headers['Content-Type'] = ctype
    r.headers['X-OpenStack-Request-ID'] = 'req-1'
    return r


def test_error_formats():
    e = errors.api_error(response(404, '{"itemNotFound": {"code": 404, "message": "gone"}}'))
    assert e.message == 'gone (HTTP 404) (Request-ID: req-1)' and e.status == 404
    e = errors.api_error(response(401, '{"error": {"code": 401, "message": "no auth", '
                                       '"title": "Unauthorized"}}'))
    assert e.api_message == 'no auth'
    e = errors.api_error(response(409, '{"message": "glance says", "code": "409 Conflict"}'))
    assert e.api_message == 'glance says'
    e = errors.api_error(response(500, '<html><body><h1>500 Internal Server Error</h1>'
                                       '<p>Boom</p></body></html>', 'text/html'))
    assert e.api_message == '500 Internal Server Error Boom'


def test_format_option_before_or_after_the_command(real, flavors, real_user, run):
    rc, out, _ = run('-f', 'json', 'flavor', 'list')
    assert rc == 0 and json.loads(out)[0]['Name'] == 'm1.tiny'
    rc, out, _ = run('flavor', 'list', '-f', 'value', '-c', 'Name')
    assert rc == 0 and out.split() == ['m1.tiny', 'm1.small']


def test_usage_errors_exit_2_without_traceback(run):
    rc, out, err = run('server', 'create', 'x')
    assert rc == 2 and '--image' in err
    rc, out, err = run('nonsense')
    assert rc == 2 and 'invalid choice' in err
