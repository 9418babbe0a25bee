package netnstest

import (
	"os"
	"testing"
)

func TestRequireBondingAndVLANAgreesWithEnv(t *testing.T) {
	RequireBondingAndVLAN(t)
	// Reaching here means the kernel made both; on the VM that must be so.
	if os.Getenv(RequireKernelEnv) != "1" {
		t.Log("kernel has bonding and 802.1Q on this host")
	}
}
