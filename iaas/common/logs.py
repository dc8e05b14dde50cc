"""Logging set-up for every daemon: one line per record, to a file or stderr.

Every record carries ``request_id`` (:class:`RequestIdFilter`): the id of
the user request whose work logged it (``-`` for work of no request), so
one ``grep req-…`` finds a request's lines in every daemon it reached.
``[DEFAULT] log_format = json`` writes one JSON object per line instead
(:class:`JSONFormatter`).
"""
import datetime
import json
import logging
import os
import socket
import sys

from iaas.context import current_request_id

FORMAT = ('%(asctime)s %(process)d %(levelname)s %(name)s [%(threadName)s] '
          '[%(request_id)s] %(message)s')
NO_REQUEST = '-'


class RequestIdFilter(logging.Filter):
    """Puts the current request id (iaas.context) on each record as
    ``request_id``; a record that already has one keeps it."""

    def filter(self, record):
        if getattr(record, 'request_id', None) is None:
            record.request_id = current_request_id() or NO_REQUEST
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger,
    message, request_id, host, binary, pid, thread, and exception (the
    formatted traceback) when there is one."""

    def __init__(self, binary=None, host=None):
        super().__init__()
        self.binary = binary
        self.host = host or socket.gethostname()

    def format(self, record):
        out = {
            'time': datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec='milliseconds').replace('+00:00', 'Z'),
            'level': record.levelname,
            'logger': record.name,
            'message': record.getMessage(),
            'request_id': getattr(record, 'request_id', None) or current_request_id(),
            'host': self.host,
            'binary': self.binary,
            'pid': record.process,
            'thread': record.threadName,
        }
        if record.exc_info:
            out['exception'] = self.formatException(record.exc_info)
        elif record.exc_text:
            out['exception'] = record.exc_text
        if record.stack_info:
            out['stack'] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def make_formatter(conf, name):
    if getattr(conf, 'log_format', 'text') == 'json':
        return JSONFormatter(binary=name, host=conf.host)
    return logging.Formatter(FORMAT)


def setup(conf, name):
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if conf.log_dir:
        os.makedirs(conf.log_dir, exist_ok=True)
        handler = logging.FileHandler(os.path.join(conf.log_dir, f'{name}.log'))
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(conf, name))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ('amqp', 'kombu', 'alembic'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
