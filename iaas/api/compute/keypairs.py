"""/os-keypairs: generate (private key returned once) or import, per user."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _respond
from iaas.compute import keypairs
from iaas.compute import policies as P
from iaas.exception import InvalidKeyPair, KeyPairExists, KeyPairNotFound, QuotaExceeded

SCHEMA = schemas.KEYPAIR_CREATE


def _view(kp, v, with_private=None):
    out = {'name': kp['name'], 'public_key': kp['public_key'],
           'fingerprint': kp['fingerprint'], 'user_id': kp['user_id']}
    if v >= (2, 2):
        out['type'] = kp['type']
    if with_private:
        out['private_key'] = with_private
    return out


def _user(req, rule):
    """The key pairs' user: the caller, or ``?user_id=`` if ``rule`` allows it
    for that user (target: the key pairs' user)."""
    ctx = _ctx(req)
    wanted = req.GET.get('user_id') or ctx.user_id
    if wanted != ctx.user_id:
        auth.enforce(ctx, rule, {'user_id': wanted, 'project_id': ctx.project_id})
    return wanted


@wsgi.route_policy(P.KEYPAIRS_INDEX)
def index(req):
    v = mv.version(req)
    limit = wsgi.list_limit(req, default=1000)
    if limit == 0:
        return _respond(req, {'keypairs': []})
    try:
        rows = keypairs.list_(_user(req, P.KEYPAIRS_INDEX), limit=limit,
                        marker=req.GET.get('marker'))
    except KeyPairNotFound as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return _respond(req, {'keypairs': [{'keypair': {k: val for k, val in _view(r, v).items()
                                                    if k != 'user_id'}} for r in rows]})


@wsgi.route_policy(P.KEYPAIRS_CREATE)
@wsgi.accepts(SCHEMA)
def create(req):
    ctx = _ctx(req)
    v = mv.version(req)
    body = req.json()
    wsgi.validate(body, SCHEMA)
    kp = body['keypair']
    user_id = kp.get('user_id') or ctx.user_id
    if user_id != ctx.user_id:
        auth.enforce(ctx, P.KEYPAIRS_CREATE, {'user_id': user_id,
                                              'project_id': ctx.project_id})
    private = None
    if kp.get('public_key'):
        public = kp['public_key'].strip()
        try:
            fp = keypairs.validate_public_key(public)
        except InvalidKeyPair as exc:
            raise wsgi.BadRequest(str(exc)) from None
    else:
        if v >= (2, 92):
            raise wsgi.BadRequest('public_key is required from microversion 2.92')
        private, public = keypairs.generate()
        fp = keypairs.fingerprint(public)
    try:
        row = keypairs.create(user_id, kp['name'], public, fp, kp.get('type', 'ssh'),
                        project_id=ctx.project_id)
    except KeyPairExists as exc:
        raise wsgi.Conflict(str(exc)) from None
    except QuotaExceeded:
        raise wsgi.Forbidden('Quota exceeded, too many key pairs.') from None
    status = 201 if v >= (2, 2) else 200
    return _respond(req, {'keypair': _view(row, v, private)}, status)


@wsgi.route_policy(P.KEYPAIRS_SHOW)
def show(req, name):
    try:
        row = keypairs.get(_user(req, P.KEYPAIRS_SHOW), name)
    except KeyPairNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    out = _view(row, mv.version(req))
    out.update({'id': row['id'], 'created_at': wsgi.isotime(row['created_at'], False),
                'deleted': False, 'deleted_at': None, 'updated_at': None})
    return _respond(req, {'keypair': out})


@wsgi.route_policy(P.KEYPAIRS_DELETE)
def delete(req, name):
    try:
        keypairs.delete(_user(req, P.KEYPAIRS_DELETE), name)
    except KeyPairNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 202 if mv.version(req) < (2, 2) else 204)
