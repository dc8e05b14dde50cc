"""Hostile parameters on every EC2 action (enumerated from the action
table), by another project's member: each parameter of a valid request
naming the victim's resources (test_action_matrix.PARAMS) replaced by
hostile values, plus random extra parameters (tests/functional/ec2/
hostile.py, which tests/fuzz/test_ec2.py runs against a real iaas-all
too). Every answer is an EC2 error or success below 500, in EC2's
format, and the victim's resources are the same afterwards."""
import random

from tests.functional.ec2.hostile import check, extra_parameters, hostile_values
from tests.functional.ec2.test_action_matrix import PARAMS, call, snapshot


def test_hostile_values_in_every_parameter(ec2, victim):
    before = snapshot(ec2)
    for name, params, where in hostile_values(PARAMS, victim):
        check(call(ec2, 'bob', name, params), where)
    assert snapshot(ec2) == before


def test_random_extra_parameters(ec2, victim):
    before = snapshot(ec2)
    for name, params, where in extra_parameters(PARAMS, victim, random.Random(1205)):
        check(call(ec2, 'bob', name, params), where)
    assert snapshot(ec2) == before
