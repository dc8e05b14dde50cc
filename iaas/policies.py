"""Every API's policy rules in one list (oslo.policy defaults in code).

Each service declares its rules in its own ``policies.py`` with a
``list_rules()``; this module gathers them for the enforcer
(:mod:`iaas.identity.policy`) and for ``oslopolicy-sample-generator
--namespace iaas`` (entry point ``oslo.policy.policies``), whose output is
etc/policy.yaml.sample (tools/gen_policy_sample.py; CI checks it is current).
An operator overrides any rule in ``[identity] policy_file``.
"""
import importlib

from oslo_policy import policy

# The modules declaring rules, one per API. A module listed here must exist.
MODULES = (
    'iaas.identity.policy',
    'iaas.compute.policies',
    'iaas.api.network.policies',
    'iaas.image.policies',
    'iaas.api.objectstore.policies',
    'iaas.volume.policies',
    'iaas.api.ec2.policies',
    'iaas.billing.policies',
)


def documented(name, check, description, operations):
    """A DocumentedRuleDefault; ``operations`` as (method, path) pairs."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{'method': m, 'path': p} for m, p in operations])


def list_rules():
    rules, seen = [], set()
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue   # a service whose rules are not declared yet
        for rule in mod.list_rules():
            if rule.name in seen:
                raise ValueError(f'policy rule {rule.name} is declared twice')
            seen.add(rule.name)
            rules.append(rule)
    return rules
