"""Remote procedure calls over kombu.

One topic exchange carries every request; a service consumes two queues on
it, ``<exchange>.<topic>`` (shared by all servers of the topic) and
``<exchange>.<topic>.<host>`` (this server only), plus its own queue on the
fanout exchange ``<exchange>.<topic>_fanout`` (queue names are global to a
vhost, so they carry the control exchange's name). Replies go to a per-process reply queue through the
direct exchange ``<exchange>_reply``.

Messages are JSON envelopes::

    {"iaas": "1.0", "method": ..., "args": {...}, "context": {...},
     "version": "<api version>", "msg_id": ..., "reply_to": ..., "deadline": ...}

A call's deadline travels with it: a server drops a request whose caller has
already given up. Remote exceptions come back as ``{"class", "module",
"message"}`` and are raised again at the caller with the same type when the
type is a builtin or lives in ``iaas``; any other type arrives as
:class:`RemoteError`.

Connections are re-made with exponential backoff when the broker goes away;
consumers redeclare their queues (durable, so requests sent while a server
reconnects wait for it) and publishers retry until the message's deadline.
Over AMQP publishes are confirmed by the broker, so a publish that returns
was accepted by it.

Usage notifications (:mod:`iaas.notifications`) go on the same topic exchange,
persistent, into the durable queue ``<exchange>.notifications.info``
(:meth:`Transport.notification_queue`, :meth:`Transport.publish_notification`).

Handlers run in a bounded thread pool. A request is acknowledged when a
worker takes it; on stop, requests received but not yet taken go back to
the broker, and those running are waited for.
"""
import builtins
import concurrent.futures
import contextlib
import importlib
import logging
import os
import random
import socket
import threading
import time
import types
import uuid

import kombu

from iaas.common import fsbus, metrics
from iaas.conf import CONF
from iaas.context import RequestContext, request_id_from, request_id_scope
from iaas.exception import HostNotAuthorized

LOG = logging.getLogger(__name__)

ENVELOPE_VERSION = '1.0'


class RPCError(Exception):
    """Base of the errors raised by the RPC layer itself."""


class RPCTimeout(RPCError):
    """No reply came within the call's deadline."""
    metrics_outcome = 'timeout'

    def __init__(self, topic, method, timeout):
        super().__init__(f'RPC call {topic}.{method} got no reply within {timeout:g} s')
        self.topic, self.method, self.timeout = topic, method, timeout


class RemoteError(RPCError):
    """A remote exception whose type cannot be re-created here."""
    metrics_outcome = 'remote_error'

    def __init__(self, exc_type, message):
        super().__init__(f'{exc_type}: {message}')
        self.exc_type, self.value = exc_type, message


class NoSuchMethod(RPCError, AttributeError):
    """The server's endpoint does not expose the requested method."""


def expose(func):
    """Mark a manager method as callable over RPC (the server's allow-list)."""
    func._rpc_exposed = True
    return func


def exposed_methods(endpoint):
    return {name for name in dir(type(endpoint))
            if getattr(getattr(type(endpoint), name, None), '_rpc_exposed', False)}


# -- (de)serialising exceptions ---------------------------------------------

def serialize_exception(exc):
    cls = type(exc)
    return {'class': cls.__name__, 'module': cls.__module__,
            'message': str(exc), 'args': [a for a in exc.args
                                          if isinstance(a, (str, int, float, bool))]}


def deserialize_exception(failure):
    name, module = failure.get('class', 'Exception'), failure.get('module', 'builtins')
    message = failure.get('message', '')
    cls = None
    if module == 'builtins':
        cls = getattr(builtins, name, None)
    elif module == 'iaas' or module.startswith('iaas.'):
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            cls = None
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        return RemoteError(f'{module}.{name}', message)
    try:
        exc = cls(*failure.get('args') or [message])
    except Exception:  # constructor wants other arguments
        exc = cls.__new__(cls)
        exc.args = (message,)
    exc.remote = True
    return exc


# -- transport ----------------------------------------------------------------

class Transport:
    """A bus URL plus the exchanges and connections made from it."""

    def __init__(self, url, exchange=None, state_path=None):
        self.url = url
        self.exchange_name = exchange or CONF.control_exchange
        self.scheme = url.split('://', 1)[0]
        self.options = {}
        if self.scheme == 'filesystem':
            base = os.path.join(state_path or CONF.state_path, 'bus')
            data, control = os.path.join(base, 'data'), os.path.join(base, 'control')
            os.makedirs(data, exist_ok=True)
            os.makedirs(control, exist_ok=True)
            self.options = {'data_folder_in': data, 'data_folder_out': data,
                            'control_folder': control, 'polling_interval': 0.005}
            self.url = 'filesystem://'
        elif self.scheme == 'memory':
            self.options = {'polling_interval': 0.001}
        elif self.scheme in ('pyamqp', 'amqp'):
            self.options = {'confirm_publish': True}
        self.exchange = kombu.Exchange(self.exchange_name, 'topic', durable=True)
        self.reply_exchange = kombu.Exchange(self.exchange_name + '_reply', 'direct',
                                             durable=True)
        self._local = threading.local()
        self._publish_lock = contextlib.nullcontext()
        self._reply_waiter = None
        self._lock = threading.Lock()

    def share_publisher(self):
        """Publish over one connection for every thread of the process (one
        lock around it) instead of one per thread: for a process serving
        many hosts (iaas/compute/multihost.py), so the broker's connection
        count follows processes, not hosts or worker threads."""
        with self._lock:
            if isinstance(self._publish_lock, contextlib.nullcontext):
                self._reset_producer()
                self._local = types.SimpleNamespace(conn=None, producer=None)
                self._publish_lock = threading.RLock()

    @property
    def is_amqp(self):
        return self.scheme in ('pyamqp', 'amqp')

    def connection(self):
        if self.scheme == 'filesystem':
            return kombu.Connection(transport=fsbus.Transport,
                                    transport_options=dict(self.options))
        return kombu.Connection(self.url, transport_options=dict(self.options),
                                connect_timeout=5)

    def connection_errors(self, conn):
        return tuple(conn.connection_errors) + tuple(conn.channel_errors) + (OSError,)

    def fanout_exchange(self, topic):
        # Named after the control exchange too: two clouds (or tests) sharing
        # a broker and vhost must not see each other's fanouts.
        return kombu.Exchange(f'{self.exchange_name}.{topic}_fanout', 'fanout',
                              durable=False)

    # publishing: one connection per thread, re-made on failure
    def _producer(self):
        prod = getattr(self._local, 'producer', None)
        if prod is None:
            conn = self.connection()
            conn.ensure_connection(max_retries=1)
            prod = kombu.Producer(conn.channel(), serializer='json')
            self._local.conn, self._local.producer = conn, prod
            # what this connection has declared (kombu's own cache binds a
            # copy of every entity on every publish before it looks)
            self._local.declared = set()
        return prod

    def _reset_producer(self):
        conn = getattr(self._local, 'conn', None)
        self._local.conn = self._local.producer = None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # already broken
                pass

    def publish(self, body, exchange, routing_key, deadline, declare=(), delivery_mode=1):
        """Publish one message, reconnecting with backoff until ``deadline``
        (``delivery_mode`` 2: persistent, kept by a broker restart)."""
        delay = 0.05
        while True:
            try:
                with self._publish_lock:
                    prod = self._producer()
                    known = self._local.declared
                    todo = [e for e in declare if hash(e) not in known]
                    prod.publish(body, exchange=exchange, routing_key=routing_key,
                                 declare=todo, delivery_mode=delivery_mode, retry=False)
                    known.update(hash(e) for e in todo)
                return
            except Exception as exc:
                conn = getattr(self._local, 'conn', None)
                errors = self.connection_errors(conn) if conn else (OSError,)
                if conn is not None and not isinstance(exc, errors):
                    raise
                with self._publish_lock:
                    self._reset_producer()
                if time.monotonic() + delay > deadline:
                    raise RPCError(f'cannot publish to {self.url}: {exc}') from exc
                LOG.warning('bus unavailable (%s); retrying publish in %.2f s', exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    # -- notifications (iaas/notifications.py publishes, iaas-billing consumes)
    def notification_queue(self, topic='notifications', priority='info'):
        """The durable queue ``<exchange>.<topic>.<priority>`` bound to the topic
        exchange with routing key ``<topic>.<priority>``. Publisher and consumer
        both declare it, so events sent while no consumer runs wait in it."""
        key = f'{topic}.{priority}'
        return kombu.Queue(f'{self.exchange_name}.{key}', self.exchange, routing_key=key,
                           durable=True)

    def publish_notification(self, body, deadline, topic='notifications', priority='info'):
        """Publish one notification envelope, persistent, into its queue."""
        queue = self.notification_queue(topic, priority)
        self.publish(body, self.exchange, queue.routing_key, deadline,
                     declare=[self.exchange, queue], delivery_mode=2)

    def reply_waiter(self):
        with self._lock:
            if self._reply_waiter is None:
                self._reply_waiter = _ReplyWaiter(self)
                self._reply_waiter.start()
            return self._reply_waiter

    def close(self):
        with self._lock:
            if self._reply_waiter is not None:
                self._reply_waiter.stop()
                self._reply_waiter = None
        self._reset_producer()


_transports: dict[tuple, Transport] = {}
_transports_lock = threading.Lock()


def get_transport(url=None, exchange=None):
    url = url or CONF.transport_url
    key = (url, exchange or CONF.control_exchange, CONF.state_path)
    with _transports_lock:
        if key not in _transports:
            _transports[key] = Transport(url, exchange)
        return _transports[key]


def cleanup():
    with _transports_lock:
        for t in _transports.values():
            t.close()
        _transports.clear()


def _backoff_sleep(stop_event, delay):
    stop_event.wait(delay * (0.5 + random.random() / 2))
    return min(delay * 2, 5.0)


class _ConsumerLoop:
    """A thread that keeps a consumer on some queues across reconnects."""

    name = 'rpc-consumer'

    def __init__(self, transport, prefetch):
        self.transport = transport
        self.prefetch = prefetch
        self._stop = threading.Event()
        self.ready = threading.Event()
        self.connected_count = 0
        self._thread = None
        # the transport's interrupt(), where it has one (the filesystem bus):
        # stop() wakes the consumer, which can then wait long between polls
        self._interrupt = None

    def queues(self):
        raise NotImplementedError

    def on_message(self, body, message):
        raise NotImplementedError

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout=10):
        self._stop.set()
        interrupt = self._interrupt
        if interrupt is not None:
            interrupt()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        delay = 0.1
        while not self._stop.is_set():
            conn = self.transport.connection()
            try:
                conn.ensure_connection(max_retries=1)
                channel = conn.channel()
                consumer = kombu.Consumer(channel, queues=self.queues(),
                                          callbacks=[self.on_message],
                                          accept=['json'], prefetch_count=self.prefetch)
                consumer.consume()
                self.connected_count += 1
                if self.connected_count > 1:
                    LOG.info('%s reconnected to %s', self.name, self.transport.url)
                self.ready.set()
                delay = 0.1
                self._interrupt = getattr(conn.transport, 'interrupt', None)
                idle_wait = 0.5 if self._interrupt is None else 30.0
                while not self._stop.is_set():
                    try:
                        conn.drain_events(timeout=idle_wait)
                    except (socket.timeout, TimeoutError):
                        if self.transport.is_amqp:
                            conn.heartbeat_check()
                try:
                    consumer.cancel()
                except Exception:
                    pass
            except Exception as exc:
                if self._stop.is_set():
                    break
                self.ready.clear()
                LOG.warning('%s lost the bus (%s: %s); reconnecting', self.name,
                            type(exc).__name__, exc)
                delay = _backoff_sleep(self._stop, delay)
            finally:
                try:
                    conn.release()
                except Exception:
                    pass


class _ReplyWaiter(_ConsumerLoop):
    """Receives the replies to this process's calls and wakes their callers."""

    def __init__(self, transport):
        super().__init__(transport, prefetch=0)
        self.queue_name = f'reply_{uuid.uuid4().hex}'
        self.name = 'rpc-replies'
        self._waiting: dict[str, list] = {}
        self._cond = threading.Lock()

    def queues(self):
        return [kombu.Queue(self.queue_name, self.transport.reply_exchange,
                            routing_key=self.queue_name, auto_delete=True,
                            durable=False)]

    def register(self, msg_id):
        slot = [threading.Event(), None]
        with self._cond:
            self._waiting[msg_id] = slot
        return slot

    def forget(self, msg_id):
        with self._cond:
            self._waiting.pop(msg_id, None)

    def on_message(self, body, message):
        message.ack()
        with self._cond:
            slot = self._waiting.pop(body.get('msg_id'), None)
        if slot is not None:
            slot[1] = body
            slot[0].set()


class RPCClient:
    """Sends requests to a topic. rpcapi.py modules are its only users."""

    def __init__(self, topic, version='1.0', transport=None, server=None,
                 fanout=False, timeout=None, signer=None):
        self.topic = topic
        self.version = version
        self._transport = transport
        self._queue = None      # (transport, the topic's shared queue) once made
        self.server = server
        self.fanout = fanout
        self.timeout = timeout
        # signer(body) -> envelope: who sends, proven (iaas.conductor.hostauth)
        self.signer = signer

    @property
    def transport(self):
        """The given transport, else the configured one, looked up at each
        send (a cached dict lookup): a client made at import time follows
        the configuration in force when it sends."""
        return self._transport or get_transport()

    def prepare(self, server=None, fanout=None, timeout=None, version=None):
        return RPCClient(self.topic, version or self.version, self._transport,
                         server if server is not None else self.server,
                         self.fanout if fanout is None else fanout,
                         timeout if timeout is not None else self.timeout, self.signer)

    def _envelope(self, context, method, args):
        if isinstance(context, RequestContext):
            context = context.to_dict()
        return {'iaas': ENVELOPE_VERSION, 'method': method, 'args': args,
                'context': context or {}, 'version': self.version}

    def _send(self, body, deadline):
        if self.signer is not None:
            body = self.signer(body)
        if self.fanout:
            ex = self.transport.fanout_exchange(self.topic)
            self.transport.publish(body, ex, '', deadline, declare=[ex])
        elif self.server:
            key = f'{self.topic}.{self.server}'
            self.transport.publish(body, self.transport.exchange, key, deadline,
                                   declare=[self.transport.exchange])
        else:
            # The topic's shared queue is declared by the sender too, so a
            # request sent before any server of the topic has started waits
            # for one instead of being dropped by the exchange.
            transport = self.transport
            if self._queue is None or self._queue[0] is not transport:
                self._queue = (transport, kombu.Queue(
                    f'{transport.exchange_name}.{self.topic}', transport.exchange,
                    routing_key=self.topic, durable=True))
            transport.publish(body, transport.exchange, self.topic, deadline,
                              declare=[transport.exchange, self._queue[1]])

    def cast(self, context, method, **kwargs):
        """Send and return at once; nothing comes back."""
        body = self._envelope(context, method, kwargs)
        publish_timeout = self.timeout or CONF.rpc_response_timeout
        with metrics.rpc_sent(self.topic, method, 'cast'):
            self._send(body, time.monotonic() + publish_timeout)

    def call(self, context, method, **kwargs):
        """Send and wait for the result; raise RPCTimeout past the deadline."""
        if not self.timeout:
            raise ValueError(f'RPC call {self.topic}.{method} has no deadline: '
                             'declare one in its rpcapi.py')
        if self.fanout:
            raise ValueError('a fanout cannot be a call')
        with metrics.rpc_sent(self.topic, method, 'call'):
            return self._call(context, method, kwargs)

    def _call(self, context, method, kwargs):
        waiter = self.transport.reply_waiter()
        start = time.monotonic()
        deadline = start + self.timeout
        if not waiter.ready.wait(self.timeout):
            raise RPCTimeout(self.topic, method, self.timeout)
        msg_id = uuid.uuid4().hex
        body = self._envelope(context, method, kwargs)
        body.update(msg_id=msg_id, reply_to=waiter.queue_name,
                    deadline=time.time() + self.timeout)
        slot = waiter.register(msg_id)
        try:
            self._send(body, deadline)
            if not slot[0].wait(max(0.0, deadline - time.monotonic())):
                raise RPCTimeout(self.topic, method, self.timeout)
        finally:
            waiter.forget(msg_id)
        reply = slot[1]
        if 'failure' in reply:
            raise deserialize_exception(reply['failure'])
        return reply.get('result')


class RPCServer(_ConsumerLoop):
    """Serves one topic for one host, dispatching to an endpoint's exposed methods."""

    def __init__(self, topic, host, endpoint, transport=None, workers=None, verifier=None):
        workers = workers or CONF.rpc_workers
        super().__init__(transport or get_transport(), prefetch=workers)
        self.topic, self.host, self.endpoint = topic, host, endpoint
        # verifier(envelope) -> (request, caller): only signed requests are
        # served (``ping`` aside); the caller goes to the endpoint as
        # ``context.caller``
        self.verifier = verifier
        self.name = f'rpc-{topic}'
        self.methods = exposed_methods(endpoint)
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            workers, thread_name_prefix=f'rpc-{topic}-worker')
        self._inflight = 0
        self._inflight_lock = threading.Condition()
        self._draining = False
        metrics.track_rpc_server(self)

    def queues(self):
        ex = self.transport.exchange
        fan = self.transport.fanout_exchange(self.topic)
        # Queue names carry the control exchange: queues are global to a
        # vhost, so two clouds (or tests) on one broker with different
        # control_exchange values must not consume each other's requests.
        prefix = self.transport.exchange_name
        return [
            kombu.Queue(f'{prefix}.{self.topic}', ex, routing_key=self.topic, durable=True),
            kombu.Queue(f'{prefix}.{self.topic}.{self.host}', ex,
                        routing_key=f'{self.topic}.{self.host}', durable=True),
            # One fanout queue per (topic, host): a restarted server reuses it.
            kombu.Queue(f'{prefix}.{self.topic}_fanout_{self.host}', fan, durable=False,
                        auto_delete=True),
        ]

    def on_message(self, body, message):
        # Runs on the consumer thread, which owns the channel: ack here.
        while not self._slots.acquire(timeout=0.2):
            if self._draining:
                break
        else:
            if not self._draining:
                message.ack()
                with self._inflight_lock:
                    self._inflight += 1
                self._pool.submit(self._handle, body, self.endpoint_for(message))
                return
            self._slots.release()
        message.requeue()

    def endpoint_for(self, message):
        """The endpoint serving ``message`` (one server may serve several
        hosts' queues: iaas/compute/multihost.py picks by routing key)."""
        return self.endpoint

    def _open(self, body):
        """(request, caller, refusal) of what came off the queue."""
        if self.verifier is None:
            return body, None, None
        if 'signed' not in body:
            if body.get('method') == 'ping':
                return body, None, None
            return body, None, HostNotAuthorized(f'{self.topic} takes only signed calls')
        try:
            request, caller = self.verifier(body)
            return request, caller, None
        except Exception as exc:
            LOG.warning('refused a %s call: %s', self.topic, exc)
            return self.verifier.peek(body), None, exc

    def _handle(self, body, endpoint=None):
        try:
            body, caller, refusal = self._open(body)
            method = body.get('method')
            with request_id_scope(request_id_from(body.get('context'))), \
                    metrics.rpc_served(self.topic, method, self.methods) as served:
                reply = served.reply = self._dispatch(body, caller, refusal, endpoint)
                LOG.debug('%s.%s handled', self.topic, method)
            if body.get('reply_to') and reply is not None:
                reply['msg_id'] = body.get('msg_id')
                self.transport.publish(reply, self.transport.reply_exchange,
                                       body['reply_to'], time.monotonic() + 30)
        except Exception:
            LOG.exception('could not answer %s.%s', self.topic, body.get('method'))
        finally:
            self._slots.release()
            with self._inflight_lock:
                self._inflight -= 1
                self._inflight_lock.notify_all()

    def _dispatch(self, body, caller=None, refusal=None, endpoint=None):
        method = body.get('method')
        deadline = body.get('deadline')
        if deadline and time.time() > deadline:
            LOG.warning('dropping %s.%s: its caller gave up', self.topic, method)
            return None
        try:
            if refusal is not None:
                raise refusal
            if method not in self.methods:
                raise NoSuchMethod(f'{self.topic} has no RPC method {method!r}')
            ctx = RequestContext.from_dict(body.get('context'))
            ctx.caller = caller
            endpoint = self.endpoint if endpoint is None else endpoint
            result = getattr(endpoint, method)(ctx, **(body.get('args') or {}))
            return {'result': result}
        except Exception as exc:
            if isinstance(exc, NoSuchMethod):
                if not body.get('reply_to'):   # a cast: nobody else will hear of it
                    LOG.warning('dropped a cast: %s', exc)
            elif not getattr(exc, 'expected', False):
                LOG.exception('%s.%s failed', self.topic, method)
            return {'failure': serialize_exception(exc)}

    def stop(self, timeout=None):
        """Stop taking requests; wait for running ones up to ``timeout``."""
        timeout = CONF.service.graceful_shutdown_timeout if timeout is None else timeout
        self._draining = True
        super().stop(timeout=5)
        end = time.monotonic() + timeout
        with self._inflight_lock:
            while self._inflight and time.monotonic() < end:
                self._inflight_lock.wait(end - time.monotonic())
            left = self._inflight
        if left:
            LOG.warning('%d %s requests still running at shutdown', left, self.topic)
        self._pool.shutdown(wait=False, cancel_futures=True)


class ClientAPI:
    """Base of the rpcapi.py classes: one RPC client for the class's TOPIC.

    Subclasses name their TOPIC and VERSION and declare each remote method
    with its kind (cast/call) and, for calls, a deadline.
    """
    TOPIC: str = ''
    VERSION = '1.0'

    def __init__(self, transport=None):
        self.client = RPCClient(self.TOPIC, self.VERSION, transport=transport)

    def ping(self, context, host=None, timeout=None):
        """Call: which service of the topic answers (the one on ``host`` if given)."""
        cctx = self.client.prepare(server=host,
                                   timeout=timeout or CONF.rpc_response_timeout)
        return cctx.call(context, 'ping')
