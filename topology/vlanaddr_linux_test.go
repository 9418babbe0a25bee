package topology

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// dialAcross connects from one namespace to a listener in another and
// reads a byte back: layer 3 works between them.
func dialAcross(t *testing.T, fromNS, toNS, addr string) error {
	t.Helper()
	return dialFrom(t, fromNS, "", toNS, addr, 10*time.Second)
}

// dialFrom is dialAcross from a given local address ("" for any), giving
// up after patience.
func dialFrom(t *testing.T, fromNS, local, toNS, addr string, patience time.Duration) error {
	t.Helper()
	in := func(name string, fn func() error) error {
		ns, err := netns.GetFromName(name)
		require.NoError(t, err)
		defer ns.Close()
		return nsthread.Do(ns, fn)
	}
	var ln net.Listener
	require.NoError(t, in(toNS, func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(addr, "0"))
		return err
	}))
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte{1})
			_ = c.Close()
		}
	}()
	return in(fromNS, func() error {
		dl := net.Dialer{Timeout: patience}
		if local != "" {
			dl.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
		}
		c, err := dl.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(patience))
		_, err = io.ReadFull(c, make([]byte, 1))
		return err
	})
}

// A VIF's second BGP peer is a second pair of addresses on its VLAN (IPv6
// beside IPv4), reachable across the VLAN; Reconcile puts back exactly the
// addresses the state names, removing one it does not.
func TestVLANCarriesEachPeersAddresses(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	build(t, d, defaultLab)
	awsNS, custNS := d.names.ns(roleDevice, "dev1"), d.names.ns(roleRouter, "dev1")
	dual := defaultLab.VLANs[0]
	dual.AmazonAddress2, dual.CustomerAddress2 = "2600:1f1e:dc00::1/125", "2600:1f1e:dc00::2/125"
	require.NoError(t, d.SetVLANAddresses(ctx, dual))

	d.mu.Lock()
	gotAWS, gotCust := globalAddrs(d.devices["dev1"].aws, dual.ID), globalAddrs(d.devices["dev1"].cust, dual.ID)
	d.mu.Unlock()
	assert.Equal(t, []string{"169.254.10.1/30", "2600:1f1e:dc00::1/125"}, gotAWS, "the DX side")
	assert.Equal(t, []string{"169.254.10.2/30", "2600:1f1e:dc00::2/125"}, gotCust, "the customer side")
	require.NoError(t, dialAcross(t, custNS, awsNS, "2600:1f1e:dc00::1"), "IPv6 across the VLAN")
	require.NoError(t, dialAcross(t, custNS, awsNS, "169.254.10.1"), "IPv4 across the VLAN")

	drift, err := d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	assert.Equal(t, []sim.Drift{{ObjectID: dual.ID, Problem: "addresses differ", Action: "set"}}, drift)
	d.mu.Lock()
	gotAWS = globalAddrs(d.devices["dev1"].aws, dual.ID)
	d.mu.Unlock()
	assert.Equal(t, []string{"169.254.10.1/30"}, gotAWS, "the peer the state no longer names is gone")
	drift, err = d.Reconcile(ctx, defaultLab)
	require.NoError(t, err)
	assert.Empty(t, drift, "a second reconcile")
}
