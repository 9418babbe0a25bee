// Command labbench times building and tearing down a large lab with dxsim's
// data plane, beside the same veth pairs made with one `ip` command per link
// and with `ip -batch`, in the same run, and prints a table. scripts/bench
// runs it; it needs root and iproute2.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
)

func main() {
	conns := flag.Int("n", 1000, "connections")
	members := flag.Int("lag", 4, "members per LAG (0: no LAGs)")
	runs := flag.Int("runs", 3, "runs of each; the table shows the median")
	backend := flag.String("dataplane", "auto", "dxsim backend: auto, kernel or userspace")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	only := flag.String("only", "", "run only the ways whose name contains this (for profiling one)")
	settle := flag.Duration("settle", 0, "pause before each build: the kernel dismantles the previous build's namespaces in the background, holding RTNL, and a build timed meanwhile pays for it")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "labbench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "labbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*conns, *members, *runs, *backend, *settle, *only); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "labbench:", err)
		os.Exit(1)
	}
}

// result is one way of building the veth set, timed.
type result struct {
	name            string
	build, teardown []time.Duration
	release         []time.Duration // the userspace engine's, after teardown
	note            string
}

func run(conns, members, runs int, backend string, settle time.Duration, only string) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("needs iproute2's ip: %w", err)
	}
	ctx := context.Background()
	rows := []*result{
		{name: "dxsim lab build, veth pairs"},
		{name: "dxsim CreatePort each, veth pairs"},
		{name: fmt.Sprintf("dxsim lab build, %d LAGs of %d", conns/max(members, 1), members)},
		{name: "ip, one command per link", note: "veths left down"},
		{name: "ip -batch", note: "veths left down"},
		{name: "ip -batch, both ends up", note: "the same work as dxsim's veth pairs"},
		{name: "ip -batch, both ends up, TAPs", note: "the kernel objects of the userspace LAG build, without its sockets"},
	}
	for i := 0; i < runs; i++ {
		for j, m := range []struct {
			members int
			each    bool
		}{{0, false}, {0, true}, {members, false}} {
			if j == 2 && members == 0 || !strings.Contains(rows[j].name, only) {
				continue
			}
			time.Sleep(settle)
			b, t, rel, note, err := dxsimRun(ctx, conns, m.members, m.each, backend)
			if err != nil {
				return err
			}
			rows[j].add(b, t)
			rows[j].note = note
			if m.members > 0 {
				rows[j].release = append(rows[j].release, rel)
			}
		}
		for j, mode := range []ipMode{ipPerLink, ipBatch, ipBatchUp, ipBatchTAPs} {
			if mode == ipBatchTAPs && members == 0 {
				continue
			}
			if !strings.Contains(rows[3+j].name, only) {
				continue
			}
			time.Sleep(settle)
			b, t, err := ipRun(conns, members, mode)
			if err != nil {
				return err
			}
			rows[3+j].add(b, t)
		}
	}
	perLink, batch := median(rows[3].build), median(rows[4].build)
	if members == 0 {
		rows = append(rows[:2], rows[3:6]...)
	}
	fmt.Printf("%d connections, median of %d runs, %s pause before each build; teardown deletes the namespaces\n\n", conns, runs, settle)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "how\tbuild\tteardown\tbuild / ip -batch\tip per link / build\t\t")
	for _, r := range rows {
		if len(r.build) == 0 {
			continue
		}
		b := median(r.build)
		if len(r.release) > 0 {
			r.note = fmt.Sprintf("%s; engine released %s after teardown", r.note, round(median(r.release)))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t  %s\t\n", r.name, round(b), round(median(r.teardown)),
			ratio(b, batch, "%.2fx"), ratio(perLink, b, "%.1fx"), r.note)
	}
	return w.Flush()
}

func (r *result) add(build, teardown time.Duration) {
	r.build = append(r.build, build)
	r.teardown = append(r.teardown, teardown)
}

// dxsimRun builds conns ports (in LAGs of members when members > 0) with the
// data plane, as `dxsim lab up` does (one Reconcile) or, with each, one
// CreatePort (and CreateLAG) call at a time as the control plane does, then
// tears them down. release is how long Close then took: the userspace engine
// releases its TAPs and sockets after Teardown.
func dxsimRun(ctx context.Context, conns, members int, each bool, backend string) (build, teardown, release time.Duration, note string, err error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	prefix := fmt.Sprintf("dxsim-bench%d", os.Getpid())
	dp, err := topology.Open(ctx, topology.Options{Backend: backend, Prefix: prefix, Logger: log})
	if err != nil {
		return 0, 0, 0, "", err
	}
	defer dp.Close()
	// Drain events as a consumer would.
	go func() {
		for range dp.Events() {
		}
	}()
	name, _ := dp.Backend()
	note = name + " backend"
	var s sim.Snapshot
	for i := 0; i < conns; i++ {
		p := sim.PortSpec{ConnectionID: fmt.Sprintf("dxcon-%08x", i), DeviceID: "bench"}
		if members > 0 {
			p.LAGID = fmt.Sprintf("dxlag-%08x", i/members)
			if i%members == 0 {
				s.LAGs = append(s.LAGs, sim.LAGSpec{LAGID: p.LAGID, DeviceID: "bench", MinLinks: 1})
			}
		}
		s.Ports = append(s.Ports, p)
	}
	start := time.Now()
	if each {
		err = createEach(ctx, dp, s)
	} else {
		_, err = dp.Reconcile(ctx, s)
	}
	if err != nil {
		_ = dp.Teardown(ctx)
		return 0, 0, 0, "", err
	}
	build = time.Since(start)
	start = time.Now()
	if err := dp.Teardown(ctx); err != nil {
		return 0, 0, 0, "", err
	}
	teardown = time.Since(start)
	// Teardown leaves the userspace engine's files to close in the
	// background; Close waits for them. Say how long that took.
	start = time.Now()
	_ = dp.Close()
	return build, teardown, time.Since(start), note, nil
}

// ratio formats a/b, or "-" when b was not measured (-only).
func ratio(a, b time.Duration, format string) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf(format, float64(a)/float64(b))
}

type ipMode int

const (
	ipPerLink   ipMode = iota // one ip process per veth pair
	ipBatch                   // one ip -batch for all pairs
	ipBatchUp                 // ip -batch, then both ends brought up
	ipBatchTAPs               // ip -batch, both ends up, and a TAP per LAG on each side, up
)

// ipRun makes the same veth pairs between two fresh namespaces with iproute2
// (and with ipBatchTAPs a TAP per LAG of members on each side, as the
// userspace backend makes), then deletes the namespaces.
func ipRun(conns, members int, mode ipMode) (build, teardown time.Duration, err error) {
	a, b := fmt.Sprintf("dxsim-benchip%d-a", os.Getpid()), fmt.Sprintf("dxsim-benchip%d-b", os.Getpid())
	link := func(i int) string {
		return fmt.Sprintf("link add dxcon-%08x type veth peer name dxcon-%08x netns %s", i, i, b)
	}
	start := time.Now()
	for _, ns := range []string{a, b} {
		if err := ip("netns", "add", ns); err != nil {
			return 0, 0, err
		}
	}
	if mode != ipPerLink {
		var sa, sb strings.Builder
		for i := 0; i < conns; i++ {
			sa.WriteString(link(i) + "\n")
			if mode >= ipBatchUp {
				fmt.Fprintf(&sa, "link set dxcon-%08x up\n", i)
				fmt.Fprintf(&sb, "link set dxcon-%08x up\n", i)
			}
			if mode == ipBatchTAPs && i%members == 0 {
				for _, s := range []*strings.Builder{&sa, &sb} {
					fmt.Fprintf(s, "tuntap add dev dxlag-%08x mode tap\nlink set dxlag-%08x up\n", i/members, i/members)
				}
			}
		}
		if err := ipBatchIn(a, sa.String()); err != nil {
			return 0, 0, err
		}
		if mode >= ipBatchUp {
			if err := ipBatchIn(b, sb.String()); err != nil {
				return 0, 0, err
			}
		}
	} else {
		for i := 0; i < conns; i++ {
			if err := ip(append([]string{"-n", a}, strings.Fields(link(i))...)...); err != nil {
				return 0, 0, err
			}
		}
	}
	build = time.Since(start)
	start = time.Now()
	for _, ns := range []string{a, b} {
		if err := ip("netns", "del", ns); err != nil {
			return 0, 0, err
		}
	}
	return build, time.Since(start), nil
}

func createEach(ctx context.Context, dp *topology.DataPlane, s sim.Snapshot) error {
	for _, l := range s.LAGs {
		if err := dp.CreateLAG(ctx, l); err != nil {
			return err
		}
	}
	for _, p := range s.Ports {
		if err := dp.CreatePort(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func ipBatchIn(ns, cmds string) error {
	cmd := exec.Command("ip", "-n", ns, "-batch", "-")
	cmd.Stdin = strings.NewReader(cmds)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s", ns, err, out)
	}
	return nil
}

func ip(args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
