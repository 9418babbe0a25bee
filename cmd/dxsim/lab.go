package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/labctl"
)

func init() { subcommands = append(subcommands, newLabCmd) }

// labFlags are the flags every lab subcommand takes.
type labFlags struct {
	file      string
	dataplane string
}

func (f *labFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&f.file, "file", "f", "", "lab file (JSON); the built-in default lab when empty")
	c.Flags().StringVar(&f.dataplane, "dataplane", "auto", "backend: auto, kernel or userspace")
}

func (f *labFlags) lab() (*lab.Lab, error) {
	if f.file == "" {
		return lab.Default(), nil
	}
	return lab.Load(f.file)
}

func newLabCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "lab",
		Short: "Build, inspect and remove a lab's links and BGP without the Direct Connect API",
		Long: `A lab is a set of AWS devices with connections, LAGs and virtual interfaces,
built as real Linux networking: a network namespace per device and per customer
router ("dxsim-<lab>-dx-<device>", "dxsim-<lab>-cr-<device>"), a veth pair per
connection, a bond (or dxsim's userspace LACP engine) per LAG, a VLAN per VIF,
and for a VIF with an "asn" a BGP session between its two addresses, with
AWS's settings, against dxsim's customer router ("customerRouter": "builtin",
the default) or one's own ("none").
A lab's name has no "dx" or "cr" part and is not "demo", so that its
namespaces are never taken for a "dxsim serve"'s, the demo's or another lab's.
Without -f, the built-in default lab: one device, a LAG of two connections
with minimum links 1, and a standalone connection with a private VIF whose
BGP (AS 65000, Amazon AS 64512) hears 10.0.0.0/16 from Amazon.`,
	}
	c.AddCommand(newLabUpCmd(), newLabDownCmd(), newLabStatusCmd(), newLabExampleCmd())
	return c
}

func newLabUpCmd() *cobra.Command {
	var f labFlags
	var watch bool
	c := &cobra.Command{
		Use:   "up",
		Short: "Build the lab, report what had to be made, and show its status",
		Long: `Builds the lab (idempotently: what exists and matches is left alone) and
prints each object it had to make or repair, then the status of every object.
With the userspace backend the LACP engine runs in this process, and with
either backend so do the BGP speakers of VIFs with an "asn"; so for a
userspace lab with LAGs or VIFs, or a lab with BGP, up stays in the
foreground, printing link, LACP and BGP events, until interrupted or stopped
by "dxsim lab down"; the veth pairs stay after it ends, the userspace LAGs
and VIFs and the BGP sessions do not. While in the foreground it keeps the
lab as the file says: a port, LAG member or VLAN deleted, taken down or
released by hand is repaired half a second after a link goes down or away,
and within 5 seconds when nothing goes down, and each repair is printed. It
answers "dxsim lab status" and "dxsim lab down" on the lab's socket,
/run/dxsim/<prefix>.sock; a second "lab up" of the same lab meanwhile fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return labUp(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, watch)
		},
	}
	f.register(c)
	c.Flags().BoolVar(&watch, "watch", false, "stay in the foreground printing events until interrupted (always so for a userspace lab with LAGs or VIFs, or a lab with BGP)")
	return c
}

func newLabDownCmd() *cobra.Command {
	var f labFlags
	c := &cobra.Command{
		Use:   "down",
		Short: "Delete the lab's namespaces, and with them everything in them",
		Long: `Stops the lab's running "dxsim lab up", if there is one, and waits for it to
close its data plane, or removes the socket a killed one left; then deletes
the lab's namespaces.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return labDown(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	f.register(c)
	return c
}

func newLabStatusCmd() *cobra.Command {
	var f labFlags
	c := &cobra.Command{
		Use:   "status",
		Short: "Show every object of the lab with its link, LACP and BGP state",
		Long: `Asks the lab's running "dxsim lab up", if there is one, for the status it
sees (with the userspace backend, the only process that has the lab's LAGs and
VIFs; with BGP, the only one that knows its sessions); otherwise reads the
kernel, and shows BGP as not running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return labStatus(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	f.register(c)
	return c
}

func newLabExampleCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "example",
		Short: "Print the built-in default lab as a lab file, to start one's own from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(lab.DefaultJSON())
			return err
		},
	}
}

func labLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func openLab(ctx context.Context, l *lab.Lab, mode string, log *slog.Logger) (*topology.DataPlane, error) {
	// A userspace lab's LAGs and VIFs outlive its `lab up`: the next one
	// adopts them from the checkpoints beside the lab's socket.
	cps, err := labctl.CheckpointsFor(labctl.DefaultDir, l.Prefix)
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	dp, err := topology.Open(ctx, topology.Options{Backend: mode, Prefix: l.Prefix, LACPTimers: l.LACPTimers, Checkpoints: cps, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	return dp, nil
}

func labUp(ctx context.Context, out, stderr io.Writer, f labFlags, watch bool) error {
	l, err := f.lab()
	if err != nil {
		return err
	}
	log := labLogger(stderr)
	dp, err := openLab(ctx, l, f.dataplane, log)
	if err != nil {
		return err
	}
	defer dp.Close()
	backend, why := dp.Backend()
	// The engine behind userspace LAGs and VIFs, and the BGP speakers, run
	// in this process.
	inProcess := backend == "userspace" && (len(l.Snapshot.LAGs) > 0 || len(l.Snapshot.VLANs) > 0)
	hasBGP := len(l.BGP) > 0
	// A flapping link or LACP is flapped by this process; and faults are
	// the lab as it is meant to be, kept while lab up runs.
	hasFaults := len(l.Faults) > 0
	watch = watch || inProcess || hasBGP || hasFaults
	var src *lab.Source
	if hasBGP {
		src = lab.NewSource(l.BGP)
		defer src.Close()
	}
	var ctl *labctl.Server
	if watch {
		// Claimed before anything is built: a second lab up of the same
		// lab must not start a second engine on the same links.
		if ctl, err = serveLab(ctx, l, dp, src, log); err != nil {
			return err
		}
		defer ctl.Close()
	}
	var events, bgpEvents <-chan struct{}
	if watch {
		events = printEvents(out, dp)
	}
	if hasBGP {
		bgpEvents = printBGPEvents(out, src.Watch(0))
	}
	drift, err := dp.Reconcile(ctx, l.Snapshot)
	for _, d := range drift {
		fmt.Fprintf(out, "%-36s %-28s %s\n", d.ObjectID, d.Problem, d.Action)
	}
	if err != nil {
		return fmt.Errorf("lab %s: %w (the objects listed above were made; `dxsim lab down` removes them)", l.Name, err)
	}
	if len(drift) == 0 {
		fmt.Fprintf(out, "lab %s: already up, nothing to do\n", l.Name)
	}
	st, err := dp.Status(ctx)
	if err != nil {
		return err
	}
	printLabStatus(out, l, labView{backend: backend, why: why, note: labUpNote(inProcess, hasBGP, ctl), st: st, bgpRunning: hasBGP})
	if !watch {
		return nil
	}
	var ctrl *bgp.Controller
	if hasBGP {
		fmt.Fprintln(out)
		printLabBGPPlan(out, l)
		ctrl = startLabBGP(l, dp, src, log)
	}
	fmt.Fprintf(out, "\nwatching events and repairing damage (%s backend); interrupt to stop\n", backend)
	stopKeeping := keepLab(ctx, out, dp, l)
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-sig.Done():
	case <-ctl.StopRequested():
		fmt.Fprintln(out, "stopping: asked to by `dxsim lab down`")
	}
	// Status requests are refused from here on, and the socket goes only
	// once the data plane is closed: whoever waits for it to go may then
	// delete the namespaces. Repairs stop first, so as not to make again
	// what is being closed; the sessions close before their links do.
	ctl.Stop()
	stopKeeping()
	if ctrl != nil {
		closeLogged(log, "BGP", ctrl)
		src.Close()
		<-bgpEvents
	}
	_ = dp.Close()
	<-events
	return ctl.Close()
}

// labUpNote says what of the lab lives in this process, and where lab
// status asks for it.
func labUpNote(inProcess, hasBGP bool, ctl *labctl.Server) string {
	var what []string
	if inProcess {
		what = append(what, "userspace LAGs and VIFs")
	}
	if hasBGP {
		what = append(what, "the BGP speakers")
	}
	if len(what) == 0 || ctl == nil {
		return ""
	}
	if len(what) > 1 {
		what[len(what)-1] += "," // "A, and B, live"
	}
	return fmt.Sprintf("%s live in this process; `dxsim lab status` asks it for them on %s", strings.Join(what, ", and "), ctl.Path())
}

// keepLab repairs the lab while lab up runs (labKeeper), until the returned
// stop is called; stop returns once no repair runs.
func keepLab(ctx context.Context, out io.Writer, dp *topology.DataPlane, l *lab.Lab) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	events := dp.SubscribeEvents(0)
	k := &labKeeper{
		reconcile: func(ctx context.Context) ([]sim.Drift, error) { return dp.Reconcile(ctx, l.Snapshot) },
		out:       out,
		now:       time.Now,
		settle:    labRepairSettle,
		every:     labRepairEvery,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.run(ctx, events.C())
	}()
	return func() {
		cancel()
		<-done
		events.Close()
	}
}

// printEvents prints the data plane's events until they close; the returned
// channel closes when it is done.
func printEvents(out io.Writer, dp *topology.DataPlane) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range dp.Events() {
			fmt.Fprintln(out, labEvent(e))
		}
	}()
	return done
}
