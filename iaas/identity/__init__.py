"""Identity: Keystone-v3-compatible tokens, users, projects, roles, catalog."""
from iaas.identity import cache, credentials, policy, revision, revoke, tokens


def reset_state():
    """Forget every in-process cache (tests switch databases and key dirs)."""
    revision.WATCH.reset()
    cache.clear_all()
    revoke.REVOCATIONS.reset()
    tokens.reset()
    credentials._repo = None
    policy.reset()
