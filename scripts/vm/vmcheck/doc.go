// Package vmcheck proves that scripts/vmtest really runs privileged tests on
// a kernel with 802.3ad bonding and 802.1Q: its test builds two kernel bonds
// over veth pairs in two fresh namespaces, waits until LACP has converged on
// every member, and passes traffic over a VLAN on top. On a kernel without
// bonding (this project's development hosts) the test skips; under
// scripts/vmtest it must pass.
package vmcheck
