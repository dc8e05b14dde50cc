"""Log records carry the request id; the JSON format is one object per line."""
import io
import json
import logging

from iaas.common import logs
from iaas.context import RequestContext, request_id_scope


def _logger(formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logs.RequestIdFilter())
    log = logging.getLogger('iaas.test.logs')
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log, stream


def test_text_lines_carry_the_request_id():
    log, stream = _logger(logging.Formatter(logs.FORMAT))
    with request_id_scope('req-abc'):
        log.info('inside')
    log.info('outside')
    inside, outside = stream.getvalue().splitlines()
    assert '[req-abc] inside' in inside
    assert '[-] outside' in outside


def test_json_lines_parse():
    log, stream = _logger(logs.JSONFormatter(binary='iaas-test', host='h1'))
    with request_id_scope('req-json'):
        log.warning('quote " and\nnewline %s', 'é')
        try:
            raise ValueError('bad')
        except ValueError:
            log.exception('failed')
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2                       # one object per line, newlines escaped
    first, second = (json.loads(line) for line in lines)
    assert first['message'] == 'quote " and\nnewline é'
    assert first['level'] == 'WARNING' and first['logger'] == 'iaas.test.logs'
    assert first['request_id'] == 'req-json'
    assert (first['host'], first['binary']) == ('h1', 'iaas-test')
    assert first['time'].endswith('Z') and 'exception' not in first
    assert 'ValueError: bad' in second['exception']


def test_setup_picks_the_format(conf, tmp_path):
    conf.set_override('log_dir', str(tmp_path))
    conf.set_override('log_format', 'json')
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        handler = logs.setup(conf, 'iaas-unit')
        with request_id_scope('req-setup'):
            logging.getLogger('iaas.x').info('hello')
        handler.flush()
        line = (tmp_path / 'iaas-unit.log').read_text().splitlines()[-1]
        assert json.loads(line)['request_id'] == 'req-setup'
        handler.close()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_contexts_made_during_a_request_keep_its_id():
    with request_id_scope('req-outer'):
        assert RequestContext().request_id == 'req-outer'
        assert RequestContext(request_id='req-given').request_id == 'req-given'
    assert RequestContext().request_id.startswith('req-')
    assert RequestContext().request_id != RequestContext().request_id
