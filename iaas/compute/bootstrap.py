"""First start of a cloud: the default flavors (iaas-all runs this; a
multi-host deployment runs `iaas-manage flavor defaults` once)."""
import logging

from iaas.db import flavors as db_flavors

LOG = logging.getLogger(__name__)

# (id, name, MiB RAM, vCPUs, GiB disk) — m1.nano suits the tiny test image.
DEFAULT_FLAVORS = [
    ('0', 'm1.nano', 128, 1, 1),
    ('1', 'm1.tiny', 512, 1, 1),
    ('2', 'm1.small', 2048, 1, 20),
    ('3', 'm1.medium', 4096, 2, 40),
    ('4', 'm1.large', 8192, 4, 80),
    ('5', 'm1.xlarge', 16384, 8, 160),
]


def create_default_flavors():
    made = 0
    for flavorid, name, ram, vcpus, disk in DEFAULT_FLAVORS:
        try:
            db_flavors.get(flavorid)
            continue
        except db_flavors.FlavorNotFound:
            pass
        try:
            db_flavors.create(name, ram, vcpus, disk, flavorid=flavorid)
            made += 1
        except db_flavors.FlavorExists:
            pass
    if made:
        LOG.info('created %d default flavors', made)
    return made


def first_start(admin_password):
    create_default_flavors()
