// Package kernel is the data plane's backend on the kernel's own drivers: a
// LAG is an 802.3ad bond (fast LACP rate, miimon 100, its min_links), a VIF
// an 802.1Q VLAN device on the port or the bond. The kernel holds the state;
// a restarted dxsim finds it there.
package kernel
