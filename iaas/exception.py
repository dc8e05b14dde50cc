"""Expected errors of the services, raised by their queries and domain
logic and caught by their REST layers.

They live here, not in ``iaas/db/``, so the REST layers (``iaas/api/``)
name them without importing the database layer, and an RPC caller
re-raises them by type (``iaas.rpc.deserialize_exception``) without
importing the module that raised them: a hypervisor host gets
``InstanceNotFound`` from the conductor without importing ``iaas.db``. ``expected = True`` marks
an error the WSGI layer reports without a traceback. The network errors
keep Neutron's error ``type`` and the HTTP status Neutron answers with
(``code``); the REST layer renders them.
"""


class ServiceError(Exception):
    """An expected refusal by a service: ``code`` is the HTTP status the REST
    layers answer with (rendered in each API's own fault format by
    ``iaas.wsgi.Router``), ``type`` the error type APIs that name one show
    (Neutron's ``NeutronError.type``)."""
    expected = True
    code = 400
    type = None

    def __init__(self, message=None, code=None):
        super().__init__(message)
        if code:
            self.code = code


class BudgetExceeded(ServiceError):
    """The project reached 100 % of its enforced monthly budget: new
    resources are refused (running ones are untouched)."""
    code = 403
    type = 'BudgetExceeded'


# -- compute --------------------------------------------------------------------
class FlavorNotFound(LookupError):
    expected = True


class FlavorExists(ValueError):
    expected = True


class FlavorAccessExists(ValueError):
    expected = True


class KeyPairNotFound(LookupError):
    expected = True


class KeyPairExists(ValueError):
    expected = True


class InvalidKeyPair(ValueError):
    expected = True


class GroupNotFound(LookupError):
    expected = True


class ServiceNotFound(LookupError):
    expected = True


class ComputeNodeNotFound(LookupError):
    expected = True


class InstanceNotFound(ServiceError, LookupError):
    code = 404

    def __init__(self, uuid):
        super().__init__(f'Instance {uuid} could not be found.')
        self.uuid = uuid


class UnexpectedState(ServiceError):
    """A compare-and-swap found the instance in another state."""
    code = 409


class MarkerNotFound(LookupError):
    expected = True


class QuotaExceeded(Exception):
    expected = True

    def __init__(self, resource, requested, used, limit):
        self.resource, self.requested, self.used, self.limit = resource, requested, used, limit
        super().__init__(f'Quota exceeded for {resource}: Requested {requested}, '
                         f'but already used {used} of {limit} {resource}')


# -- identity -------------------------------------------------------------------
class IdentityNotFound(ServiceError, LookupError):
    """No such domain, project, user, role, grant, service, endpoint or
    credential (Keystone answers 404)."""
    code = 404


class IdentityConflict(ServiceError, ValueError):
    """A name or id already taken, or a row still in use (409)."""
    code = 409


class IdentityForbidden(ServiceError):
    """A change the identity service refuses whoever asks (403)."""
    code = 403


# -- image ----------------------------------------------------------------------
class ImageNotFound(LookupError):
    expected = True


class ImageExists(ValueError):
    expected = True


class MemberNotFound(LookupError):
    expected = True


class MemberExists(ValueError):
    expected = True


# -- network --------------------------------------------------------------------
class NetworkError(ServiceError):
    """Base of the expected network errors; ``type`` is Neutron's error type."""
    type = 'BadRequest'


class NotFound(NetworkError, LookupError):
    code = 404

    def __init__(self, kind, ident):
        super().__init__(f'{kind} {ident} could not be found.')
        self.type = f'{kind.replace(" ", "")}NotFound'


class Conflict(NetworkError):
    code = 409

    def __init__(self, message, type='Conflict'):
        super().__init__(message)
        self.type = type


class Invalid(NetworkError):
    code = 400

    def __init__(self, message, type='BadRequest'):
        super().__init__(message)
        self.type = type


class ProjectRequired(NetworkError):
    code = 403
    type = 'HTTPForbidden'


class SecurityGroupNotFound(NotFound):
    def __init__(self, ident):
        NetworkError.__init__(self, f'Security group {ident} does not exist')
        self.type = 'SecurityGroupNotFound'


class ExternalGatewayNotFound(NotFound):
    def __init__(self, message):
        NetworkError.__init__(self, message)
        self.type = 'ExternalGatewayForFloatingIPNotFound'


class InterfaceNotFound(NetworkError, LookupError):
    code = 404

    def __init__(self, message, type):
        super().__init__(message)
        self.type = type


# -- block storage ------------------------------------------------------------------
class VolumeError(ServiceError):
    """A refusal of the volume service (Cinder answers 400 unless said)."""


class VolumeNotFound(VolumeError, LookupError):
    code = 404

    def __init__(self, uuid, what='Volume'):
        super().__init__(f'{what} {uuid} could not be found.')
        self.uuid = uuid


class SnapshotNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'Snapshot')


class BackupNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'Backup')


class MessageNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'Message')


class VolumeTypeNotFound(VolumeNotFound):
    def __init__(self, ident):
        super().__init__(ident, 'Volume type')


class QosSpecsNotFound(VolumeNotFound):
    def __init__(self, ident):
        super().__init__(ident, 'QoS spec')


class VolumeGroupNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'Group')


class GroupTypeNotFound(VolumeNotFound):
    def __init__(self, ident):
        super().__init__(ident, 'Group type')


class GroupSnapshotNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'GroupSnapshot')


class AttachmentNotFound(VolumeNotFound):
    def __init__(self, uuid):
        super().__init__(uuid, 'Volume attachment')


class InvalidVolume(VolumeError):
    """Bad input or a status the operation cannot start from (400, as Cinder)."""


class VolumeStatusError(InvalidVolume):
    """A compare-and-swap on a status found another status."""


class VolumeConflict(VolumeError):
    code = 409


class VolumeQuotaExceeded(VolumeError):
    """Cinder's VolumeLimitExceeded / VolumeSizeExceedsAvailableQuota: 413."""
    code = 413


class NoValidBackend(VolumeError):
    """No backend can hold the volume (the volume ends in error)."""


# -- processes ----------------------------------------------------------------------
class HostNotAuthorized(ServiceError):
    """A conductor call not signed by a known host key, or about what the
    signing host does not own (its own instances, rows and node)."""
    code = 403


class NoDatabase(RuntimeError):
    """This process holds no database credentials (hypervisor and network
    hosts): its state goes through the conductor."""


class ConsoleTypeUnavailable(ServiceError):
    """A console of a type the cloud (or the guest's host) does not serve
    (Nova's "Unavailable console type"): 400."""
    code = 400
