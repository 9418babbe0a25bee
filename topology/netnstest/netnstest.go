// Package netnstest gives privileged tests what they need: a gate that skips
// them with a reason when not root (and fails them when
// DXSIM_REQUIRE_PRIVILEGED=1, as CI sets), and a fresh network namespace per
// test that is removed when the test ends.
package netnstest

import (
	"os"
	"testing"
)

// RequireEnv is the environment variable that turns a privileged test's skip
// into a failure.
const RequireEnv = "DXSIM_REQUIRE_PRIVILEGED"

// RequireKernelEnv is set by scripts/vmtest, whose kernel has bonding and
// 802.1Q: there, a test that needs them fails instead of skipping.
const RequireKernelEnv = "DXSIM_REQUIRE_KERNEL_FEATURES"

// Required reports whether privileged tests must run here.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Skip skips the test with reason, or fails it when privileged tests are
// required to run.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("privileged test cannot run (%s=1): %s", RequireEnv, reason)
	}
	t.Skip(reason)
}

// RequireRoot skips (or fails, see Skip) a test that needs root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root (network namespaces, netlink, AF_PACKET)")
	}
}

// SkipOnKernelRun skips, with why, a privileged test whose subject does not
// depend on the kernel's bonds or VLANs (dxsim's own BGP speakers, the
// userspace engine, the HTTP server) in scripts/vmtest's run on a kernel
// with them: the host's run, under the race detector, covers it. Elsewhere
// it does nothing.
func SkipOnKernelRun(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireKernelEnv) == "1" {
		t.Skip("the host's run covers this: " + why)
	}
}
