"""The EC2 Query API (``Action=…&Version=2016-11-15``) of iaas-api.

:mod:`app` authenticates and dispatches, :mod:`actions` is the table of
every action with its policy rule, the topic modules (``regions``,
``keypairs``, …) implement them over the same internal APIs the
OpenStack APIs use.
"""
