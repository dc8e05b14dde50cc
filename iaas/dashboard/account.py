"""The user's account: change password (Keystone's
``POST /v3/users/{id}/password`` with the current password). The identity
service revokes the user's tokens on a change, so the session ends and the
user logs in again with the new password."""
from urllib.parse import quote

from iaas.cli.errors import APIError
from iaas.dashboard import apis, render

MAX_PASSWORD = 4096


def account(req, status=200, error=None):
    s = render.sess(req)
    return render.page(req, 'account.html', status=status, error=error,
                       user_id=s.get('user_id'))


def change_password(req):
    s = render.sess(req)
    old = render.form(req, 'original_password', maximum=MAX_PASSWORD)
    new = render.form(req, 'password', maximum=MAX_PASSWORD)
    if not old or not new:
        return account(req, 400, 'Enter your current password and a new one.')
    if new != render.form(req, 'password2', maximum=MAX_PASSWORD):
        return account(req, 400, 'The two new passwords differ.')
    try:
        apis.transport().request(
            'POST', apis.identity_url() + f'/users/{quote(s.get("user_id") or "", safe="")}'
            '/password', headers={'X-Auth-Token': s.get('token')},
            json={'user': {'password': new, 'original_password': old}})
    except APIError as exc:
        if exc.status in (400, 401, 403):
            message = ('The current password is wrong.' if exc.status == 401
                       else exc.api_message)
            return account(req, exc.status if exc.status != 401 else 400, message)
        raise
    # the change revoked every token of the user: this session is over
    s.clear()
    return render.redirect(req, '/login', 'Your password is changed: log in with it.')


def add_routes(router):
    router.add('GET', '/account', account)
    router.add('POST', '/account/password', change_password)
