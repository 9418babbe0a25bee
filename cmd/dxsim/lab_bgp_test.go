package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology/bgp"
)

func TestLabCustomerRoutersAreBGPs(t *testing.T) {
	t.Parallel()
	assert.Equal(t, bgp.CustomerBuiltin, lab.CustomerBuiltin)
	assert.Equal(t, bgp.CustomerNone, lab.CustomerNone)
}

// TestLabStatusBGPRows: a VIF with BGP has a row for its session under it,
// saying whether a lab up runs it and what it has from the customer.
func TestLabStatusBGPRows(t *testing.T) {
	t.Parallel()
	def := lab.Default()
	none := *def
	none.CustomerRouter = lab.CustomerNone
	up := sim.BGPSession{VIFID: "dxvif-lab00001", PeerID: "dxpeer-lab00001", State: "established", Prefixes: 1}
	idle := sim.BGPSession{VIFID: "dxvif-lab00001", PeerID: "dxpeer-lab00001", State: "idle", Prefixes: 0, Reason: "hold timer expired"}
	tests := []struct {
		name string
		l    *lab.Lab
		v    labView
		want string
	}{
		{"not running", def, labView{}, "AS 64512 not running (no `dxsim lab up`)  AS 65000 (builtin router)"},
		{"not reported yet", def, labView{bgpRunning: true}, "AS 64512 starting"},
		{"established", def, labView{bgpRunning: true, bgp: []sim.BGPSession{up}}, "AS 64512 established, 1 prefix accepted  AS 65000 (builtin router)"},
		{"idle", def, labView{bgpRunning: true, bgp: []sim.BGPSession{idle}}, "AS 64512 idle, 0 prefixes accepted (hold timer expired)"},
		{"one's own router", &none, labView{bgpRunning: true, bgp: []sim.BGPSession{up}}, "AS 65000 (your router)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			printLabStatus(&b, tt.l, tt.v)
			lines := strings.Split(b.String(), "\n")
			i := -1
			for n, line := range lines {
				if strings.Contains(line, "dxpeer-lab00001") {
					i = n
				}
			}
			require.Positive(t, i, "no row for the session:\n%s", &b)
			assert.Contains(t, lines[i-1], "dxvif-lab00001", "the session's row is not under its VIF's:\n%s", &b)
			assert.Regexp(t, `^    dxpeer-lab00001 +bgp on dxvif-lab00001 +`, lines[i])
			assert.Contains(t, lines[i], tt.want)
		})
	}
}

func TestLabBGPEventsPrintChanges(t *testing.T) {
	t.Parallel()
	src := lab.NewSource(lab.Default().BGP)
	var out bytes.Buffer // read only once the printer is done
	done := printBGPEvents(&out, src.Watch(0))
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []struct {
		state    string
		prefixes uint64
	}{{"active", 0}, {"active", 0}, {"established", 0}, {"established", 1}, {"established", 1}} {
		src.SetBGPSession(sim.BGPSession{Time: at, VIFID: "dxvif-lab00001", PeerID: "dxpeer-lab00001", State: s.state, Prefixes: s.prefixes,
			Reason: "idle-hold-timer-expired"})
	}
	src.Close()
	<-done
	assert.Equal(t, "03:04:05.000 bgp  amazon   dxvif-lab00001 dxpeer-lab00001: active, 0 prefixes accepted\n"+ // no stale reason
		"03:04:05.000 bgp  amazon   dxvif-lab00001 dxpeer-lab00001: established, 0 prefixes accepted\n"+
		"03:04:05.000 bgp  amazon   dxvif-lab00001 dxpeer-lab00001: established, 1 prefix accepted\n", out.String(),
		"a line per change of state or prefixes, none for a repeat")
}

// TestLabBGPPlan: lab up says, per session, what one's own customer router
// needs: addresses, ASNs, the MD5 key and the namespace it runs in.
func TestLabBGPPlan(t *testing.T) {
	t.Parallel()
	l := *lab.Default()
	l.CustomerRouter = lab.CustomerNone
	var b bytes.Buffer
	printLabBGPPlan(&b, &l)
	assert.Equal(t, "bgp dxvif-lab00001 dxpeer-lab00001: Amazon AS 64512 at 169.254.10.1/30, customer AS 65000 at 169.254.10.2/30 "+
		"(your router, in dxsim-default-cr-EqDC2-1a2b3c4d5e6f), MD5 key "+lab.AuthKey("default", "dxvif-lab00001")+"\n", b.String())
}
