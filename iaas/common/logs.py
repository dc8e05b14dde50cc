"""Logging set-up for every daemon: one line per record, to a file or stderr."""
import logging
import os
import sys

FORMAT = '%(asctime)s %(process)d %(levelname)s %(name)s [%(threadName)s] %(message)s'


def setup(conf, name):
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if conf.log_dir:
        os.makedirs(conf.log_dir, exist_ok=True)
        handler = logging.FileHandler(os.path.join(conf.log_dir, f'{name}.log'))
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ('amqp', 'kombu', 'alembic'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
