package region_test

import (
	"os"
	"testing"

	"github.com/dxsim/dxsim/topology/bgp"
)

func TestMain(m *testing.M) {
	bgp.RunIfSpeaker() // the speakers these tests start are this binary
	os.Exit(m.Run())
}
