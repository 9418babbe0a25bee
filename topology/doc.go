// Package topology is dxsim's data plane: real Linux networking built with
// netlink. Each simulated AWS device (DX endpoint) and each customer router is
// a network namespace; a connection is a veth pair between them; a LAG is an
// 802.3ad bond (or, where the kernel has no bonding, a TAP device driven by
// dxsim's own LACP engine); a VIF is an 802.1Q VLAN.
//
// topology touches only what it created: namespaces and interfaces named
// dxsim-…, never the host's.
package topology
