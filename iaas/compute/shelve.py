"""Shelve, shelveOffload and unshelve in the API process (Nova's os-shelve).

Mixed into :class:`iaas.compute.api.API`. The states and their transitions
are the ``shelve``, ``shelve_offload`` and ``unshelve`` rows of
:mod:`iaas.states`; each begins with the API's compare-and-swap
(:meth:`API._begin`), and the compute host (:mod:`iaas.compute.shelve_ops`)
or the scheduler ends it:

    ACTIVE/SHUTOFF/PAUSED/SUSPENDED --shelve--> SHELVED --offload--> SHELVED_OFFLOADED
    SHELVED --unshelve (power on)--> ACTIVE
    SHELVED_OFFLOADED --unshelve (schedule, claim, spawn)--> ACTIVE

An image-backed server is snapshotted into ``<name>-shelved`` (the image
createImage makes); its id is kept in the system metadata
(``shelved_image_id``, as Nova) and the image is deleted once the server is
unshelved (or deleted). A volume-backed server is not snapshotted, and is
offloaded at once (as Nova). The server's ports, addresses, volumes and
quota usage stay while it is shelved.
"""
import logging

from iaas import states
from iaas.compute import policies as P
from iaas.compute.errors import ComputeError, Conflict, NotFound, enforce, owner_of
from iaas.conf import CONF
from iaas.db import instances as db
from iaas.db import services as db_services
from iaas.network import rpcapi as network_rpcapi
from iaas.scheduler.host_state import RequestSpec

LOG = logging.getLogger(__name__)

# the system metadata a shelve writes and an unshelve drops
SHELVED_IMAGE = 'shelved_image_id'
SHELVED_HOST = 'shelved_host'
SHELVE_KEYS = (SHELVED_IMAGE, SHELVED_HOST)
# unshelve without an availability_zone argument: the zone the server is in
UNSET = object()
# a shelved server's image: '<server name>-shelved' within the image name limit
IMAGE_NAME_MAX = 255


def shelved_image(inst):
    """The id of the image a shelve made of ``inst`` (None: none)."""
    return (inst.get('system_metadata') or {}).get(SHELVED_IMAGE)


def volume_backed(inst):
    return bool((inst.get('system_metadata') or {}).get('boot_from_volume'))


def has_ports(inst):
    return (inst.get('system_metadata') or {}).get('networks') not in (None, 'none', [])


class ShelveAPI:
    """Needs ``get``, ``_begin``, ``_check_locked``, ``_create_snapshot_image``,
    ``_delete_image``, ``availability_zones``, ``compute`` and ``scheduler``
    of :class:`iaas.compute.api.API`."""

    @staticmethod
    def _check_state(inst, action):
        try:
            states.check_action(action, inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None

    def shelve(self, ctx, uuid):
        """Power the guest off (after a snapshot of an image-backed one) and
        make the server SHELVED; offloaded at once when
        ``[DEFAULT] shelved_offload_time`` is 0 or the server is volume-backed."""
        inst = self.get(ctx, uuid, P.ACTION_RULES['shelve'])
        self._check_locked(ctx, inst)
        self._check_state(inst, 'shelve')
        image_id = None
        if not volume_backed(inst):
            name = f"{(inst['display_name'] or uuid)[:IMAGE_NAME_MAX - 8]}-shelved"
            image_id = self._create_snapshot_image(ctx, inst, name, None)
        try:
            inst = self._begin(ctx, uuid, 'shelve', rule=P.ACTION_RULES['shelve'])
            sysmeta = {k: v for k, v in (inst['system_metadata'] or {}).items()
                       if k not in SHELVE_KEYS}
            sysmeta[SHELVED_HOST] = inst['host']
            if image_id:
                sysmeta[SHELVED_IMAGE] = image_id
            # still ours: a delete may have taken the instance meanwhile
            inst = self._swap(uuid, states.SHELVING, system_metadata=sysmeta)
        except Exception:
            if image_id:
                self._delete_image(ctx, image_id)
            raise
        offload = volume_backed(inst) or CONF.shelved_offload_time == 0
        self.compute.shelve_instance(ctx, inst['host'], uuid, image_id=image_id,
                                     offload=offload)

    def shelve_offload(self, ctx, uuid):
        """Destroy the SHELVED server's guest and free its host now."""
        inst = self._begin(ctx, uuid, 'shelve_offload', 'shelveOffload',
                           P.ACTION_RULES['shelveOffload'])
        self.compute.shelve_offload_instance(ctx, inst['host'], uuid)

    def unshelve(self, ctx, uuid, availability_zone=UNSET, host=None):
        """SHELVED: power the guest on again. SHELVED_OFFLOADED: schedule it
        (in ``availability_zone``, 2.77; None unpins it, 2.91; else the zone
        it was in; on ``host``, 2.91, admin) and spawn it there with its ports
        and volumes."""
        inst = self.get(ctx, uuid, P.ACTION_RULES['unshelve'])
        self._check_locked(ctx, inst)
        self._check_state(inst, 'unshelve')
        offloaded = inst['vm_state'] == states.SHELVED_OFFLOADED
        if (availability_zone is not UNSET or host) and not offloaded:
            raise Conflict(
                f'The unshelve server operation on a shelved instance {uuid} with an '
                'availability_zone or a host is only possible when it is '
                'SHELVED_OFFLOADED.')
        zone = inst['availability_zone'] if availability_zone is UNSET else availability_zone
        if host:
            zone = self._unshelve_host_zone(ctx, inst, host, zone)
        elif zone and availability_zone is not UNSET and \
                zone not in self.availability_zones(ctx, only_available=False):
            raise ComputeError(
                f'The requested availability zone is not available: {zone}')
        inst = self._begin(ctx, uuid, 'unshelve', rule=P.ACTION_RULES['unshelve'],
                           need_host=not offloaded)
        if not offloaded:
            self.compute.unshelve_instance(ctx, inst['host'], uuid)
            return
        spec = RequestSpec(
            instance_uuids=[uuid], flavor=inst['flavor'], project_id=inst['project_id'],
            image={'id': shelved_image(inst) or inst['image_ref'], 'properties': {}},
            availability_zone=zone, num_instances=1)
        self.scheduler.unshelve_instance(ctx, uuid, spec.to_dict(), host=host)

    def _unshelve_host_zone(self, ctx, inst, host, zone):
        """The zone of compute ``host`` (admin only; 400 if there is no such
        host, 409 if it is not in ``zone``)."""
        enforce(ctx, P.UNSHELVE_TO_HOST, owner_of(inst))
        try:
            svc = db_services.service_get(host, 'iaas-compute')
        except db_services.ServiceNotFound:
            raise ComputeError(
                f'Compute host {host[:255]} could not be found.') from None
        host_zone = svc['availability_zone'] or CONF.compute.default_availability_zone
        if zone and zone != host_zone:
            raise Conflict(f'Host "{host[:255]}" is not in the availability zone '
                                 f'"{zone}".')
        return host_zone

    @staticmethod
    def _swap(uuid, expected_task_state, **values):
        try:
            return db.update(uuid, expected_task_state=expected_task_state, **values)
        except db.UnexpectedState as exc:
            raise Conflict(str(exc)) from None
        except db.InstanceNotFound:
            raise NotFound(f'Instance {uuid} could not be found.') from None

    def release_shelved(self, ctx, inst):
        """A shelved server deleted by the API (it has no host to ask: it is
        offloaded): its shelved image and its ports go too."""
        if inst['vm_state'] not in (states.SHELVED, states.SHELVED_OFFLOADED):
            return
        if shelved_image(inst):
            self._delete_image(ctx, shelved_image(inst))
        if inst['vm_state'] == states.SHELVED_OFFLOADED and has_ports(inst):
            try:
                network_rpcapi.NetworkAPI().deallocate_for_instance(ctx, inst['uuid'], None)
            except Exception:
                LOG.exception('releasing the ports of the offloaded %s failed', inst['uuid'])
