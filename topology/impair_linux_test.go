package topology

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/backend"
	"github.com/dxsim/dxsim/topology/userspace"
)

// TestLossAndDelayNeedNetemOrAnImpairer: loss and delay are netem's where
// the kernel has it, the userspace engine's where it has not; a kernel
// backend without netem refuses them, naming it.
func TestLossAndDelayNeedNetemOrAnImpairer(t *testing.T) {
	saved := netemProbe
	t.Cleanup(func() { netemProbe = saved })
	us := userspace.NewBackend(slog.New(slog.DiscardHandler), time.Now, nil)
	t.Cleanup(func() { require.NoError(t, us.Close()) })
	noNetem := errors.New("operation not supported")
	for _, c := range []struct {
		name    string
		be      backend.Backend
		netem   error
		impairs bool // the backend, not netem, loses and delays frames
		refusal bool
	}{
		{"kernel, netem", kernelBackend{}, nil, false, false},
		{"kernel, no netem", kernelBackend{}, noNetem, false, true},
		{"userspace, netem", us, nil, false, false},
		{"userspace, no netem", us, noNetem, true, false},
	} {
		netemProbe = func() error { return c.netem }
		d := &DataPlane{be: c.be}
		assert.Equal(t, c.impairs, d.impairer() != nil, "%s: the backend impairs", c.name)
		for _, link := range []string{"loss", "delay"} {
			err := d.CheckFault(sim.FaultSpec{Connection: "dxcon-x", Side: sim.FaultSideCustomer, Link: link})
			if !c.refusal {
				assert.NoError(t, err, "%s: %s", c.name, link)
				continue
			}
			assert.ErrorIs(t, err, ErrUnsupported, "%s: %s", c.name, link)
			assert.ErrorContains(t, err, "netem", "%s: %s", c.name, link)
		}
	}
}
