"""The usage-notification consumer of iaas-billing.

It consumes the durable queue ``<control_exchange>.notifications.info``
bound with routing key ``notifications.info`` on the topic exchange (the
emitters declare it too, so events sent while no billing daemon runs wait
for one). Messages are taken in batches (up to ``[billing] ingest_batch``,
or whatever arrived within 50 ms) and stored in one transaction by a
storing thread while the consumer thread reads the next batch off the bus
(prefetch = two batches); a batch is acknowledged, on the consumer thread
that owns the channel, only after its transaction committed, so a crash
loses nothing (what is redelivered is a duplicate by message id, counted
once). A batch that cannot be stored (database away) goes back to the
queue and the consumer waits with backoff. Works on amqp://, memory:// and
filesystem://.
"""
import logging
import queue
import socket
import threading

import kombu

from iaas.billing import events, ingest

LOG = logging.getLogger(__name__)


def notifications_queue(transport):
    return kombu.Queue(f'{transport.exchange_name}.{events.QUEUE_SUFFIX}',
                       transport.exchange, routing_key=events.ROUTING_KEY, durable=True)


class NotificationConsumer:
    name = 'billing-notifications'

    def __init__(self, transport, batch=500, handler=None, now=None):
        self.transport = transport
        self.batch = batch
        self.handler = handler or (lambda bodies: ingest.ingest(bodies, now=now()
                                                                if now else None))
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread = self._storer = None
        self._pending = []
        self._inflight = None            # (generation, batch) being stored
        self._todo = queue.Queue(1)
        self._done = queue.Queue()
        self._generation = 0             # channel generation: acks only on their channel
        self.stats = {'stored': 0, 'duplicates': 0, 'invalid': 0, 'ignored': 0,
                      'batches': 0, 'failures': 0}

    def start(self):
        self._storer = threading.Thread(target=self._store_loop, name=self.name + '-store',
                                        daemon=True)
        self._storer.start()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout=10):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._todo.put(None)
        if self._storer is not None:
            self._storer.join(timeout)

    def _on_message(self, body, message):
        self._pending.append((body, message))

    # -- the storing thread ---------------------------------------------------
    def _store_loop(self):
        while True:
            item = self._todo.get()
            if item is None:
                return
            gen, batch = item
            try:
                counts, ok = self.handler([b for b, _m in batch]), True
            except Exception:
                LOG.exception('could not store %d usage events; they go back to the queue',
                              len(batch))
                counts, ok = None, False
            self._done.put((gen, batch, ok, counts))

    # -- the consumer thread --------------------------------------------------
    def _submit(self):
        if self._inflight is not None or not self._pending:
            return
        batch, self._pending = self._pending[:self.batch], self._pending[self.batch:]
        self._inflight = (self._generation, batch)
        self._todo.put(self._inflight)

    def _settle(self, wait=0.0):
        """Acknowledge (or requeue) the batch the storing thread finished.
        Returns False when it failed."""
        try:
            gen, batch, ok, counts = self._done.get(timeout=wait) if wait else \
                self._done.get_nowait()
        except queue.Empty:
            return True
        self._inflight = None
        if gen != self._generation:
            return ok          # its channel is gone: the broker redelivers it
        if ok:
            self._ack(batch)
            self.stats['batches'] += 1
            for k, v in (counts or {}).items():
                self.stats[k] = self.stats.get(k, 0) + v
            return True
        self.stats['failures'] += 1
        for _b, m in batch:
            try:
                m.requeue()
            except Exception:  # the channel is gone: the broker redelivers
                pass
        return False

    def _ack(self, batch):
        if self.transport.is_amqp:
            # one frame for the whole batch (AMQP acks every tag up to the last)
            last = batch[-1][1]
            last.channel.basic_ack(last.delivery_tag, multiple=True)
            for _b, m in batch:
                m._state = 'ACK'
            return
        for _b, m in batch:
            m.ack()

    def _drain_all(self):
        """On stop: store what was received, acknowledge it."""
        while self._inflight is not None or self._pending:
            if self._inflight is not None:
                if not self._settle(wait=30) and self._inflight is None:
                    break
                continue
            self._submit()

    def _run(self):
        delay = 0.1
        while not self._stop.is_set():
            conn = self.transport.connection()
            try:
                conn.ensure_connection(max_retries=1)
                channel = conn.channel()
                consumer = kombu.Consumer(channel, queues=[notifications_queue(self.transport)],
                                          callbacks=[self._on_message], accept=['json'],
                                          prefetch_count=self.batch * 2)
                consumer.consume()
                self.ready.set()
                delay = 0.1
                while not self._stop.is_set():
                    if not self._settle():
                        self._stop.wait(delay)
                        delay = min(delay * 2, 5.0)
                    try:
                        conn.drain_events(timeout=0.05 if (self._pending or self._inflight)
                                          else 0.5)
                    except (socket.timeout, TimeoutError):
                        self._submit()
                        if self.transport.is_amqp:
                            conn.heartbeat_check()
                        continue
                    if len(self._pending) >= self.batch:
                        self._submit()
                self._drain_all()
                try:
                    consumer.cancel()
                except Exception:
                    pass
            except Exception as exc:
                # unacknowledged messages come again on the next channel
                self._pending = []
                self._generation += 1
                if self._stop.is_set():
                    break
                self.ready.clear()
                LOG.warning('%s lost the bus (%s: %s); reconnecting', self.name,
                            type(exc).__name__, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    conn.release()
                except Exception:
                    pass
