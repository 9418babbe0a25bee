package main

import (
	"os"
	"testing"

	"github.com/dxsim/dxsim/topology/bgp"
)

func TestMain(m *testing.M) {
	// The BGP speakers a serve under test starts are this test binary.
	bgp.RunIfSpeaker()
	// A test that runs dxsim where no Go toolchain builds it
	// (scripts/vmtest's VM) runs this binary as dxsim.
	if os.Getenv(asDxsimEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// asDxsimEnv set to 1 makes the test binary run as dxsim (testDxsim).
const asDxsimEnv = "DXSIM_TEST_AS_DXSIM"
