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
	flag.Parse()
	if err := run(*conns, *members, *runs, *backend); err != nil {
		fmt.Fprintln(os.Stderr, "labbench:", err)
		os.Exit(1)
	}
}

// result is one way of building the veth set, timed.
type result struct {
	name            string
	build, teardown []time.Duration
	note            string
}

func run(conns, members, runs int, backend string) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("needs iproute2's ip: %w", err)
	}
	ctx := context.Background()
	rows := []*result{
		{name: "dxsim, veth pairs only"},
		{name: fmt.Sprintf("dxsim, %d LAGs of %d", conns/max(members, 1), members)},
		{name: "ip, one command per link", note: "veths left down"},
		{name: "ip -batch", note: "veths left down"},
	}
	for i := 0; i < runs; i++ {
		b, t, _, err := dxsimRun(ctx, conns, 0, backend)
		if err != nil {
			return err
		}
		rows[0].add(b, t)
		if members > 0 {
			b, t, note, err := dxsimRun(ctx, conns, members, backend)
			if err != nil {
				return err
			}
			rows[1].add(b, t)
			rows[1].note = note
		}
		b, t, err = ipRun(conns, false)
		if err != nil {
			return err
		}
		rows[2].add(b, t)
		b, t, err = ipRun(conns, true)
		if err != nil {
			return err
		}
		rows[3].add(b, t)
	}
	if members == 0 {
		rows = append(rows[:1], rows[2:]...)
	}
	batch := median(rows[len(rows)-1].build)
	perLink := median(rows[len(rows)-2].build)
	fmt.Printf("%d connections, median of %d runs; teardown deletes the namespaces\n\n", conns, runs)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "how\tbuild\tteardown\tbuild / ip -batch\tip per link / build\t\t")
	for _, r := range rows {
		b := median(r.build)
		fmt.Fprintf(w, "%s\t%s\t%s\t%.2fx\t%.1fx\t  %s\t\n", r.name, round(b), round(median(r.teardown)),
			float64(b)/float64(batch), float64(perLink)/float64(b), r.note)
	}
	return w.Flush()
}

func (r *result) add(build, teardown time.Duration) {
	r.build = append(r.build, build)
	r.teardown = append(r.teardown, teardown)
}

// dxsimRun builds conns ports (in LAGs of members when members > 0) with the
// data plane, then tears them down.
func dxsimRun(ctx context.Context, conns, members int, backend string) (build, teardown time.Duration, note string, err error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	prefix := fmt.Sprintf("dxsim-bench%d", os.Getpid())
	dp, err := topology.Open(ctx, topology.Options{Backend: backend, Prefix: prefix, Logger: log})
	if err != nil {
		return 0, 0, "", err
	}
	defer dp.Close()
	// Drain events as a consumer would.
	go func() {
		for range dp.Events() {
		}
	}()
	name, _ := dp.Backend()
	note = name + " backend"
	start := time.Now()
	for i := 0; i < conns; i++ {
		p := sim.PortSpec{ConnectionID: fmt.Sprintf("dxcon-%08x", i), DeviceID: "bench"}
		if members > 0 {
			p.LAGID = fmt.Sprintf("dxlag-%08x", i/members)
			if i%members == 0 {
				if err := dp.CreateLAG(ctx, sim.LAGSpec{LAGID: p.LAGID, DeviceID: "bench", MinLinks: 1}); err != nil {
					_ = dp.Teardown(ctx)
					return 0, 0, "", err
				}
			}
		}
		if err := dp.CreatePort(ctx, p); err != nil {
			_ = dp.Teardown(ctx)
			return 0, 0, "", err
		}
	}
	build = time.Since(start)
	start = time.Now()
	if err := dp.Teardown(ctx); err != nil {
		return 0, 0, "", err
	}
	teardown = time.Since(start)
	// Teardown leaves the userspace engine's files to close in the
	// background; Close waits for them. Say how long that took.
	start = time.Now()
	_ = dp.Close()
	if members > 0 {
		note = fmt.Sprintf("%s; engine released %s after teardown", note, round(time.Since(start)))
	}
	return build, teardown, note, nil
}

// ipRun makes the same veth pairs between two fresh namespaces with iproute2,
// then deletes the namespaces.
func ipRun(conns int, batch bool) (build, teardown time.Duration, err error) {
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
	if batch {
		var sb strings.Builder
		for i := 0; i < conns; i++ {
			sb.WriteString(link(i) + "\n")
		}
		cmd := exec.Command("ip", "-n", a, "-batch", "-")
		cmd.Stdin = strings.NewReader(sb.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("ip -batch: %v: %s", err, out)
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
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
