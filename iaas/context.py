"""The request context: who asks, for which project, under which request id.

It travels with every RPC message (as a dict) so a worker acts with the
rights of the user who started the request and logs the same request id.
"""
import dataclasses
import uuid


def new_request_id():
    return 'req-' + str(uuid.uuid4())


@dataclasses.dataclass
class RequestContext:
    user_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    user_name: str | None = None
    project_name: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)
    request_id: str = dataclasses.field(default_factory=new_request_id)
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
