package topology

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/sim"
)

func TestPortIsVethBetweenDeviceAndRouter(t *testing.T) {
	d := openTest(t, nil)
	ev := record(t, d)
	ctx := context.Background()
	p := sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "EqDC2-dev1"}
	require.NoError(t, d.CreatePort(ctx, p))
	// Idempotent: the same spec again changes nothing and does not fail.
	require.NoError(t, d.CreatePort(ctx, p), "second CreatePort")
	aws := handleIn(t, d.names.ns(roleDevice, "EqDC2-dev1"))
	cust := handleIn(t, d.names.ns(roleRouter, "EqDC2-dev1"))
	for side, h := range map[string]*netlink.Handle{"aws": aws, "customer": cust} {
		l, err := h.LinkByName(p.ConnectionID)
		require.NoError(t, err, "%s end", side)
		assert.Equal(t, "veth", l.Type(), "%s end", side)
	}
	_, err := netlink.LinkByName(p.ConnectionID)
	require.Error(t, err, "the port appeared in the host's namespace")
	for _, side := range []sim.Side{sim.SideAWS, sim.SideCustomer} {
		ev.wait(t, side.String()+" link up", func(e sim.Event) bool {
			return e.Kind == sim.EventLink && e.Side == side && e.ConnectionID == p.ConnectionID && e.Up
		})
	}
	st, err := d.Status(ctx)
	require.NoError(t, err)
	require.Len(t, st.Ports, 1, "status %+v, want one port up on both ends", st.Ports)
	require.True(t, st.Ports[0].AWSUp && st.Ports[0].CustomerUp, "status %+v, want one port up on both ends", st.Ports)

	// Taking the customer end down is seen on the AWS end as lost carrier.
	l, _ := cust.LinkByName(p.ConnectionID)
	require.NoError(t, cust.LinkSetDown(l))
	ev.wait(t, "aws link down", func(e sim.Event) bool {
		return e.Kind == sim.EventLink && e.Side == sim.SideAWS && e.ConnectionID == p.ConnectionID && !e.Up
	})

	require.NoError(t, d.DeletePort(ctx, p.ConnectionID))
	_, err = aws.LinkByName(p.ConnectionID)
	require.Error(t, err, "port still there after DeletePort")
	require.NoError(t, d.DeletePort(ctx, p.ConnectionID), "deleting a deleted port")
}

func TestPortOnAnotherDeviceIsRefused(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1"}))
	require.Error(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev2"}),
		"the same connection was made on a second device")
	require.Error(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-much-too-long-for-ifnamsiz", DeviceID: "dev1"}),
		"an ID longer than IFNAMSIZ was accepted")
}

func TestTeardownRemovesOnlyItsOwnNamespaces(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, nil)
	other := openTest(t, nil)
	for i, dp := range []*DataPlane{d, other} {
		require.NoError(t, dp.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0001", DeviceID: "dev1"}), "data plane %d", i)
	}
	require.NoError(t, d.Teardown(ctx))
	left, _ := listNS(d.opts.Prefix + "-")
	require.Empty(t, left, "namespaces left after teardown")
	left, _ = listNS(other.opts.Prefix + "-")
	require.Len(t, left, 2, "the other lab's namespaces: want its two")
	// The torn-down data plane builds afresh.
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-aaaa0002", DeviceID: "dev1"}), "after teardown")
}

func TestAddVethsReportsEachPair(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	// One pair exists already: its request fails, the others' do not.
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-bat00002", DeviceID: "dev1"}))
	dev := d.devices["dev1"]
	var names []string
	for i := range 150 { // more than one window
		names = append(names, fmt.Sprintf("dxcon-bat%05d", i))
	}
	errs := addVeths(d.log, dev.aws, dev.cust, names, true)
	for i, err := range errs {
		if i != 2 {
			assert.NoError(t, err, names[i])
		}
	}
	assert.ErrorIs(t, errs[2], unix.EEXIST, "existing pair")
	cust := handleIn(t, d.names.ns(roleRouter, "dev1"))
	for _, name := range []string{names[0], names[149]} {
		l, err := cust.LinkByName(name)
		if assert.NoError(t, err, "customer end %s", name) {
			assert.True(t, up(l), "customer end %s is down", name)
		}
	}
}
