"""EC2 errors: the code, the HTTP status and the message, rendered in the
EC2 error envelope (``<Response><Errors><Error>…``)."""
from xml.sax.saxutils import escape


class EC2Error(Exception):
    """An error answered to the client; ``code`` is EC2's error code."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def auth_failure(message='AWS was not able to validate the provided access credentials'):
    return EC2Error('AuthFailure', message, 401)


def unauthorized(message='You are not authorized to perform this operation.'):
    return EC2Error('UnauthorizedOperation', message, 403)


def invalid(message):
    return EC2Error('InvalidParameterValue', message)


def missing(name):
    return EC2Error('MissingParameter',
                    f'The request must contain the parameter {name}')


def combination(message):
    return EC2Error('InvalidParameterCombination', message)


def not_found(code, ids):
    """``<Kind>.NotFound`` for ids (one or several) the caller cannot see."""
    ids = [ids] if isinstance(ids, str) else list(ids)
    noun = {'InvalidInstanceID.NotFound': 'instance ID',
            'InvalidAMIID.NotFound': 'image id',
            'InvalidKeyPair.NotFound': 'key pair',
            'InvalidGroup.NotFound': 'security group',
            'InvalidVolume.NotFound': 'volume',
            'InvalidSnapshot.NotFound': 'snapshot',
            'InvalidAllocationID.NotFound': 'allocation ID',
            'InvalidAssociationID.NotFound': 'association ID',
            'InvalidAddress.NotFound': 'address'}.get(code, 'ID')
    shown = ', '.join(f"'{i}'" for i in ids[:20])
    return EC2Error(code, f"The {noun} {shown} does not exist")


def incorrect_state(message):
    return EC2Error('IncorrectInstanceState', message)


def body(code, message, request_id):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Response><Errors><Error><Code>{escape(code)}</Code>'
            f'<Message>{escape(message)}</Message></Error></Errors>'
            f'<RequestID>{escape(request_id)}</RequestID></Response>').encode()
