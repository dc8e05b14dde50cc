# The two commands of the README:
#   make run    install everything and run the all-in-one cloud
#   make test   install everything and run the whole test suite
#   make clean  remove what make run added: its bridges, iptables chains, guests, state
STATE ?= /var/lib/iaas
CONFIG ?= etc/iaas-allinone.conf

.PHONY: setup run clean test services sample lint bench-rpc conformance

setup:
	tools/setup.sh

services:
	tools/ensure-services.sh

run:
	tools/run-allinone.sh $(STATE) $(CONFIG)

clean:
	tools/clean-allinone.sh $(STATE) $(CONFIG)

test: setup services
	tools/run-tests.sh

sample: setup
	.venv/bin/python tools/gen_config_sample.py

lint: setup
	.venv/bin/ruff check iaas tests tools migrations

bench-rpc: setup services
	.venv/bin/python tools/bench/rpc.py

# The real projects' own suites (Swift functests, ceph s3-tests, Tempest)
# against a fresh all-in-one; one table beside the real services' scores.
conformance: setup
	tools/conformance/run.sh
