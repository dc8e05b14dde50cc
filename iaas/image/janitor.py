"""Background upkeep of iaas-image, run in the daemon beside the API.

* An upload makes progress visible: its image's ``updated_at`` is touched
  at least every ``PROGRESS_INTERVAL`` seconds while data flows. An image
  still ``saving`` without progress for ``[image] upload_stale_timeout``
  seconds belongs to an upload that died with its daemon: it goes back to
  ``queued`` (and gives its quota reservation back), so no image stays
  ``saving`` forever.
* Locations of deleted images whose data a store could not remove at
  delete time (store down) are retried.
* The file store's temporary files older than that (left by a crash
  mid-upload) are removed.
"""
import datetime
import logging
import os
import threading
import time

from iaas.db.base import utcnow
from iaas.image import api, states

LOG = logging.getLogger(__name__)

PROGRESS_INTERVAL = 30


def run_once(conf, stale_after=None):
    if stale_after is None:
        stale_after = conf.image.upload_stale_timeout
    reset = states.reset_stale_uploads(utcnow() - datetime.timedelta(seconds=stale_after))
    for image_id in reset:
        LOG.warning('image %s was saving without progress for %ss: back to queued',
                    image_id, stale_after)
    api.retry_pending_deletes()
    removed = _clean_file_store_tmp(conf.image.filesystem_store_datadir, stale_after)
    return {'reset': reset, 'tmp_removed': removed}


def _clean_file_store_tmp(datadir, stale_after):
    removed = []
    try:
        names = os.listdir(datadir)
    except FileNotFoundError:
        return removed
    cutoff = time.time() - stale_after
    for name in names:
        if name.startswith('.') and name.endswith('.tmp'):
            path = os.path.join(datadir, name)
            try:
                if os.path.getmtime(path) < cutoff:
                    os.unlink(path)
                    removed.append(name)
            except FileNotFoundError:
                pass
    return removed


class Janitor:
    """A launcher service running :func:`run_once` every RUN_EVERY seconds."""

    def __init__(self, conf, interval=None):
        self.conf = conf
        self.interval = interval or conf.image.janitor_interval
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._loop, name='image-janitor', daemon=True)
        self._thread.start()

    def wait_ready(self, timeout=30):
        return True

    def _loop(self):
        while not self._stop.is_set():
            try:
                run_once(self.conf)
            except Exception:
                LOG.exception('image janitor run failed; will retry')
            self._stop.wait(self.interval)

    def stop(self, graceful_timeout=None):
        self._stop.set()
        if self._thread:
            self._thread.join(10)
