// Package topology is dxsim's data plane: real Linux networking built with
// netlink. Each simulated AWS device (DX endpoint) and the customer router
// facing it are network namespaces ("<prefix>-dx-<device>",
// "<prefix>-cr-<device>"); a connection is a veth pair made inside the
// device's namespace with its peer placed in the router's, both ends named
// after the connection; a LAG is a logical interface named after the LAG on
// both sides; a VIF is an 802.1Q VLAN on a port or LAG, with the Amazon
// address on the device's side and the customer's on the router's.
//
// What differs between kernels sits behind one small interface (backend):
// the kernel backend makes 802.3ad bonds and VLAN devices; the userspace
// backend, for kernels with neither, drives TAP devices with dxsim's LACP
// engine (package topology/userspace). Open chooses one and logs why.
//
// A DataPlane implements sim.DataPlane. Attaching a port to a LAG takes it
// down, enslaves it and brings it up, on both sides, timestamping each step;
// a step that fails puts the port back. Link changes come from netlink
// subscriptions in each namespace and LACP state from polling the LAG
// members, as sim.Events. Reconcile reads the kernel and repairs it towards
// the control plane's state. Teardown deletes the namespaces, which frees
// their interfaces in a batch.
//
// topology touches only what it created: namespaces and interfaces named
// dxsim-…, never the host's.
package topology
