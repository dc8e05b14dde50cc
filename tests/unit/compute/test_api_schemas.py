"""Compute API schemas and policies: well-formed, bounded, declared."""
import jsonschema
import pytest

from iaas import wsgi
from iaas.api.compute import schemas
from iaas.compute import policies
from iaas.db import quotas


def _all_schemas():
    out = {k: v for k, v in vars(schemas).items() if k.isupper() and isinstance(v, dict)
           and v.get('type') == 'object'}
    out.update({f'action {k}': v for k, v in schemas.ACTIONS.items()})
    return out


@pytest.mark.parametrize('name,schema', sorted(_all_schemas().items()))
def test_schemas_are_valid_json_schema(name, schema):
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize('value,lo,hi', [(2 ** 31, 0, schemas.MAX_INT), ('1' * 20, 0, 10),
                                         (-2, -1, 5), ('1.5', 0, 5), (1.5, 0, 5),
                                         (True, 0, 5), (None, 0, 5), ('', 0, 5)])
def test_int_in_refuses(value, lo, hi):
    with pytest.raises(wsgi.BadRequest):
        schemas.int_in(value, 'f', lo, hi)


def test_int_in_accepts():
    assert schemas.int_in('42', 'f') == 42
    assert schemas.int_in(-1, 'f', -1) == -1
    assert schemas.int_in(1 << 40, 'f', 1, None) == 1 << 40


def test_rules_have_nova_names_and_documented_operations():
    rules = policies.list_rules()
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert r.name.startswith('os_compute_api:'), r.name
        assert r.operations and r.description
    names = {r.name for r in rules}
    for must in ('os_compute_api:servers:index', 'os_compute_api:servers:index:get_all_tenants',
                 'os_compute_api:servers:detail', 'os_compute_api:servers:show',
                 'os_compute_api:servers:create', 'os_compute_api:servers:create:forced_host',
                 'os_compute_api:servers:update', 'os_compute_api:servers:delete',
                 'os_compute_api:servers:start', 'os_compute_api:servers:stop',
                 'os_compute_api:os-flavor-manage:create',
                 'os_compute_api:os-quota-sets:update', 'os_compute_api:os-hypervisors:list',
                 'os_compute_api:os-services:list'):
        assert must in names


def test_allowed_count_with_huge_requests():
    limits = {'instances': 10, 'cores': 20, 'ram': 51200}
    used = {'instances': 2, 'cores': 2, 'ram': 256}
    per = {'instances': 1, 'cores': 1, 'ram': 128}
    assert quotas.allowed_count(limits, used, per, 1 << 40) == 8
    with pytest.raises(quotas.QuotaExceeded):
        quotas.check(limits, used, {k: v * (1 << 40) for k, v in per.items()})
