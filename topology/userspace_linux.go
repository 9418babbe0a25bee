package topology

import (
	"context"
)

// userspaceBackend is for kernels without bonding or 802.1Q: a LAG's logical
// interface is a TAP device driven by dxsim's LACP engine over AF_PACKET on
// the member veths, and VLAN tagging is done there too (package
// topology/userspace).
//
// Until that engine is wired in, its LAG and VLAN operations fail with an
// UnsupportedError; ports, namespaces, reconcile and teardown work.
type userspaceBackend struct{}

var _ backend = userspaceBackend{}

const userspaceNotReady = "the userspace LACP engine (topology/userspace) is not part of this build"

func (userspaceBackend) Name() string { return "userspace" }

func (userspaceBackend) unsupported(op string) error {
	return &UnsupportedError{Backend: "userspace", Op: op, Reason: userspaceNotReady}
}

func (u userspaceBackend) CreateLAG(context.Context, *netNS, lagConfig) error {
	return u.unsupported("create a LAG")
}

// DeleteLAG has nothing to delete: no LAG can have been made.
func (userspaceBackend) DeleteLAG(context.Context, *netNS, string) error { return nil }

func (u userspaceBackend) SetMinLinks(context.Context, *netNS, string, int) error {
	return u.unsupported("set minimum links")
}

func (u userspaceBackend) AddMember(context.Context, *netNS, string, string) error {
	return u.unsupported("add a LAG member")
}

func (u userspaceBackend) RemoveMember(context.Context, *netNS, string, string) error {
	return u.unsupported("remove a LAG member")
}

func (u userspaceBackend) CreateVLAN(context.Context, *netNS, vlanConfig) error {
	return u.unsupported("create a VLAN")
}

func (u userspaceBackend) MoveVLAN(context.Context, *netNS, vlanConfig) error {
	return u.unsupported("move a VLAN")
}

func (userspaceBackend) DeleteVLAN(context.Context, *netNS, string) error { return nil }

func (userspaceBackend) LAGs(context.Context, *netNS) ([]LAGStatus, error) { return nil, nil }

func (u userspaceBackend) LAGStatus(ctx context.Context, ns *netNS, name string) (LAGStatus, error) {
	return lagStatusFrom(u.LAGs(ctx, ns))(name)
}

func (userspaceBackend) VLANs(context.Context, *netNS) ([]vlanConfig, error) { return nil, nil }

func (userspaceBackend) Forget(*netNS) {}
func (userspaceBackend) Close() error  { return nil }
