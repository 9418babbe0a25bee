// Package topology is dxsim's data plane: real Linux networking built with
// netlink. Each simulated AWS device (DX endpoint) and the customer router
// facing it are network namespaces ("<prefix>-dx-<device>",
// "<prefix>-cr-<device>"); a connection is a veth pair made inside the
// device's namespace with its peer placed in the router's, both ends named
// after the connection; a LAG is a logical interface named after the LAG on
// both sides; a VIF is an 802.1Q VLAN on a port or LAG, with the Amazon
// address on the device's side and the customer's on the router's.
//
// What differs between kernels sits behind one interface,
// topology/backend.Backend: topology/kernel makes 802.3ad bonds and VLAN
// devices; topology/userspace, for kernels with neither, drives TAP devices
// with dxsim's LACP engine. Open chooses one and logs why.
//
// A DataPlane implements sim.DataPlane. Moving a port into, out of or
// between LAGs takes it down, moves it and brings it up, once, on both
// sides, timestamping each step; a step that fails puts the port back. Each
// move made is announced first to the hooks given to OnMove (with the
// operation and request time the control plane passed down, and the
// namespaces), which is how dxsim's observer (topology/observe) watches
// without standing in the way. Link changes come from netlink subscriptions
// in each namespace and LACP state from polling the LAG members (and from
// the userspace engine as it changes), as sim.Events on one bus: Events for
// the control plane, SubscribeEvents for others. Reconcile reads the kernel
// and repairs it towards the control plane's state. Teardown deletes the
// namespaces, which frees their interfaces in a batch.
//
// Files: dataplane.go the API (options, hooks, status, errors); names.go
// namespace names; dataplane_linux.go opening and closing; ports, lags
// (and VLANs), move, reconcile, inventory (what the kernel holds, and
// Status), events, netns (namespaces, their L2 defaults and the record of
// those owned) in *_linux.go.
//
// topology touches only what it created: namespaces and interfaces named
// dxsim-…, never the host's.
package topology
