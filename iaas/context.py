"""The request context: who asks, for which project, under which request id.

It travels with every RPC message (as a dict) so a worker acts with the
rights of the user who started the request and logs the same request id.
"""
import contextlib
import contextvars
import dataclasses
import uuid

# The request id of the work this thread (or task) is doing: set by the
# WSGI layer for an API request and by the RPC server for each message it
# handles; the log filter of iaas.common.logs puts it on every record.
_current_request_id = contextvars.ContextVar('iaas_request_id', default=None)


def new_request_id():
    return 'req-' + str(uuid.uuid4())


def current_request_id():
    """The request id being worked on here, or None."""
    return _current_request_id.get()


def current_or_new_request_id():
    """A context made while working on a request carries that request's id
    (an elevated or admin context made by a worker stays traceable)."""
    return _current_request_id.get() or new_request_id()


def request_id_from(context_dict):
    """The request id an RPC envelope's context carries, or None."""
    rid = context_dict.get('request_id') if isinstance(context_dict, dict) else None
    return rid if isinstance(rid, str) else None


@contextlib.contextmanager
def request_id_scope(request_id):
    """Work on ``request_id`` for the duration of the block."""
    token = _current_request_id.set(request_id)
    try:
        yield request_id
    finally:
        _current_request_id.reset(token)


@dataclasses.dataclass
class RequestContext:
    user_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    user_name: str | None = None
    project_name: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)
    request_id: str = dataclasses.field(default_factory=current_or_new_request_id)
    is_admin: bool = False
    auth_token: str | None = None
    # Admin listing across projects (all_tenants); read-only flag for 'reader'.
    read_deleted: str = 'no'

    @property
    def is_reader_only(self):
        return bool(self.roles) and set(self.roles) <= {'reader'}

    def to_dict(self):
        d = dataclasses.asdict(self)
        # Tokens stay in the API process; workers act on the ids.
        d.pop('auth_token', None)
        return d

    @classmethod
    def from_dict(cls, d):
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in fields})

    def elevated(self):
        ctx = dataclasses.replace(self, roles=list(self.roles))
        ctx.is_admin = True
        if 'admin' not in ctx.roles:
            ctx.roles.append('admin')
        return ctx


def get_admin_context():
    return RequestContext(is_admin=True, roles=['admin'])
