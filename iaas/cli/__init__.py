"""The ``iaas`` command-line client for developers.

It talks to the public REST APIs only (Keystone v3 for tokens, the compute
API for servers/flavors/key pairs/usage, Glance v2 for images), with
credentials from ``OS_*`` variables like python-openstackclient or from the
file ``iaas login`` writes (``~/.config/iaas/config``).
"""
