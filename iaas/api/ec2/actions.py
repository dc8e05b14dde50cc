"""The table of EC2 actions: each with its handler, whether it writes, and
the policy rule (the OpenStack API's rule for the same operation, so one
policy file governs both APIs) checked with the caller's project as
target before the handler runs. The internal APIs the handlers call check
their rules again on every resource they load.

A topic module declares its actions with :func:`action`; the application
imports every topic module. An EC2 action this cloud does not implement is in
:data:`KNOWN` without a handler is answered 501 ``NotImplemented``; any
other name is ``InvalidAction``. Neither reaches a handler.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Action:
    name: str
    handler: object
    rule: str
    write: bool


ACTIONS = {}

# EC2 actions of the 2016-11-15 API (the common ones, implemented or not).
KNOWN = frozenset('''
AcceptVpcPeeringConnection AllocateAddress AllocateHosts AssignPrivateIpAddresses
AssociateAddress AssociateDhcpOptions AssociateRouteTable AttachInternetGateway
AttachNetworkInterface AttachVolume AuthorizeSecurityGroupEgress
AuthorizeSecurityGroupIngress BundleInstance CancelSpotInstanceRequests ConfirmProductInstance
CopyImage CopySnapshot CreateCustomerGateway CreateDhcpOptions CreateFlowLogs CreateImage
CreateInternetGateway CreateKeyPair CreateLaunchTemplate CreateNatGateway CreateNetworkAcl
CreateNetworkInterface CreatePlacementGroup CreateRoute CreateRouteTable
CreateSecurityGroup CreateSnapshot CreateSubnet CreateTags CreateVolume CreateVpc
CreateVpcEndpoint CreateVpnConnection CreateVpnGateway DeleteCustomerGateway
DeleteDhcpOptions DeleteFlowLogs DeleteInternetGateway DeleteKeyPair DeleteLaunchTemplate
DeleteNatGateway DeleteNetworkAcl DeleteNetworkInterface DeletePlacementGroup DeleteRoute
DeleteRouteTable DeleteSecurityGroup DeleteSnapshot DeleteSubnet DeleteTags DeleteVolume
DeleteVpc DeleteVpcEndpoints DeleteVpnConnection DeleteVpnGateway DeregisterImage
DescribeAccountAttributes DescribeAddresses DescribeAvailabilityZones DescribeDhcpOptions DescribeFlowLogs DescribeHosts DescribeIdFormat
DescribeImageAttribute DescribeImages DescribeInstanceAttribute DescribeInstanceStatus
DescribeInstanceTypes DescribeInstances DescribeInternetGateways DescribeKeyPairs DescribeLaunchTemplates DescribeNatGateways
DescribeNetworkAcls DescribeNetworkInterfaces DescribePlacementGroups DescribeRegions DescribeRouteTables
DescribeSecurityGroups DescribeSnapshotAttribute DescribeSnapshots DescribeSpotInstanceRequests
DescribeSpotPriceHistory DescribeSubnets DescribeTags DescribeVolumeAttribute
DescribeVolumeStatus DescribeVolumes DescribeVpcAttribute DescribeVpcEndpoints DescribeVpcs
DescribeVpnConnections DescribeVpnGateways DetachInternetGateway DetachNetworkInterface
DetachVolume DisassociateAddress DisassociateRouteTable EnableVolumeIO GetConsoleOutput
GetConsoleScreenshot GetPasswordData ImportImage ImportInstance ImportKeyPair ImportSnapshot
ImportVolume ModifyIdFormat ModifyImageAttribute ModifyInstanceAttribute
ModifyNetworkInterfaceAttribute ModifySnapshotAttribute ModifySubnetAttribute ModifyVolume
ModifyVolumeAttribute ModifyVpcAttribute MonitorInstances RebootInstances RegisterImage
RejectVpcPeeringConnection ReleaseAddress ReleaseHosts ReplaceNetworkAclAssociation
ReplaceNetworkAclEntry ReplaceRoute ReplaceRouteTableAssociation ReportInstanceStatus
RequestSpotInstances ResetImageAttribute ResetInstanceAttribute ResetNetworkInterfaceAttribute
ResetSnapshotAttribute RevokeSecurityGroupEgress RevokeSecurityGroupIngress RunInstances
StartInstances StopInstances TerminateInstances UnassignPrivateIpAddresses UnmonitorInstances
'''.split())


def action(name, rule, write):
    """Declare the handler ``fn(ctx, params) -> result dict`` of ``name``."""
    def decorate(fn):
        if name in ACTIONS:
            raise ValueError(f'EC2 action {name} is declared twice')
        ACTIONS[name] = Action(name, fn, rule, write)
        return fn
    return decorate


def lookup(name):
    """(Action or None, known): ``known`` is False for a name that is not
    an EC2 action at all."""
    found = ACTIONS.get(name)
    return found, found is not None or name in KNOWN
