package main

import (
	"os"
	"testing"

	"github.com/dxsim/dxsim/topology/bgp"
)

func TestMain(m *testing.M) {
	// The BGP speakers a serve under test starts are this test binary.
	bgp.RunIfSpeaker()
	os.Exit(m.Run())
}
