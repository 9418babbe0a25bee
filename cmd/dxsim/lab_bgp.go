package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
)

// A lab's BGP: the controller `dxsim serve` runs, over the lab file's
// routers instead of the API's state.

var _ bgp.Source = (*lab.Source)(nil)

// labBGPRetry is how often a router that could not be set is tried again:
// a VIF's interface may not be up the moment the build ends.
const labBGPRetry = time.Second

// startLabBGP runs the lab's BGP on speakers in the data plane's namespaces;
// they are this process's children, and end with it.
func startLabBGP(l *lab.Lab, dp *topology.DataPlane, src *lab.Source, log *slog.Logger) *bgp.Controller {
	return bgp.NewController(bgp.ControllerConfig{Source: src, Namespaces: dp, Customer: l.CustomerRouter, Log: log, Retry: labBGPRetry})
}

// printLabBGPPlan prints each session to be run, with its MD5 key and
// where the customer's side runs: a router of one's own needs both.
func printLabBGPPlan(out io.Writer, l *lab.Lab) {
	for _, r := range l.BGP {
		_, custNS := topology.Namespaces(l.Prefix, r.Device)
		customer := "dxsim's builtin router"
		if l.CustomerRouter == lab.CustomerNone {
			customer = "your router"
		}
		for _, p := range r.Peers {
			fmt.Fprintf(out, "bgp %s %s: Amazon AS %d at %s, customer AS %d at %s (%s, in %s), MD5 key %s\n", r.VIFID, p.PeerID,
				r.AmazonASN, p.AmazonAddress, p.ASN, p.CustomerAddress, customer, custNS, p.AuthKey)
		}
	}
}

// printBGPEvents prints each change of a session's state or prefix count
// until the watch ends; the returned channel closes when it is done.
func printBGPEvents(out io.Writer, w *bus.Sub[sim.BGPSession]) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := map[string]sim.BGPSession{}
		for s := range w.C() {
			if p, ok := last[s.PeerID]; ok && p.State == s.State && p.Prefixes == s.Prefixes {
				continue
			}
			last[s.PeerID] = s
			fmt.Fprintln(out, labBGPEvent(s))
		}
	}()
	return done
}

func labBGPEvent(s sim.BGPSession) string {
	return fmt.Sprintf("%s bgp  %-8s %s %s: %s", s.Time.Format("15:04:05.000"), bgp.SideAmazon, s.VIFID, s.PeerID, labSession(s))
}

// labSession is a session's state and what it accepted from the customer,
// and why it is idle when known. (Leaving idle, the reason is still the
// last one's, idle hold timer expired, which says nothing.)
func labSession(s sim.BGPSession) string {
	out := fmt.Sprintf("%s, %d %s accepted", s.State, s.Prefixes, plural(s.Prefixes, "prefix", "prefixes"))
	if s.State == bgp.StateIdle && s.Reason != "" {
		out += " (" + s.Reason + ")"
	}
	return out
}

func plural(n uint64, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}

// labBGPRows prints a row per session of a VIF, under its row: the Amazon
// side's ASN and state, the customer's ASN and router.
func labBGPRows(w io.Writer, r sim.BGPRouter, customer string, v labView) {
	sessions := map[string]sim.BGPSession{}
	for _, s := range v.bgp {
		sessions[s.PeerID] = s
	}
	router := "builtin router"
	if customer == lab.CustomerNone {
		router = "your router"
	}
	for _, p := range r.Peers {
		state := "not running (no `dxsim lab up`)"
		if v.bgpRunning {
			state = "starting"
			if s, ok := sessions[p.PeerID]; ok {
				state = labSession(s)
			}
		}
		fmt.Fprintf(w, "    %s\tbgp on %s\tAS %d %s\tAS %d (%s)\t\t\n", p.PeerID, r.VIFID, r.AmazonASN, state, p.ASN, router)
	}
}
