package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/lab"
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
		Short: "Build, inspect and remove a lab's links without a control plane",
		Long: `A lab is a set of AWS devices with connections, LAGs and virtual interfaces,
built as real Linux networking: a network namespace per device and per customer
router ("dxsim-<lab>-dx-<device>", "dxsim-<lab>-cr-<device>"), a veth pair per
connection, a bond (or dxsim's userspace LACP engine) per LAG, a VLAN per VIF.
Without -f, the built-in default lab: one device, a LAG of two connections
with minimum links 1, and a standalone connection with a private VIF.`,
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
With the userspace backend the LACP engine runs in this process, so for a lab
with LAGs or VIFs up stays in the foreground, printing link and LACP events,
until interrupted; the veth pairs stay after it ends, the userspace LAGs and
VIFs do not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return labUp(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, watch)
		},
	}
	f.register(c)
	c.Flags().BoolVar(&watch, "watch", false, "stay in the foreground printing events until interrupted (always so for the userspace backend)")
	return c
}

func newLabDownCmd() *cobra.Command {
	var f labFlags
	c := &cobra.Command{
		Use:   "down",
		Short: "Delete the lab's namespaces, and with them everything in them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := f.lab()
			if err != nil {
				return err
			}
			n, err := topology.TeardownPrefix(l.Prefix)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lab %s: deleted %d namespaces (%s-…)\n", l.Name, n, l.Prefix)
			return nil
		},
	}
	f.register(c)
	return c
}

func newLabStatusCmd() *cobra.Command {
	var f labFlags
	c := &cobra.Command{
		Use:   "status",
		Short: "Show every object of the lab with its link and LACP state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := f.lab()
			if err != nil {
				return err
			}
			dp, err := openLab(cmd.Context(), l, f.dataplane, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer dp.Close()
			st, err := dp.Status(cmd.Context())
			if err != nil {
				return err
			}
			printLabStatus(cmd.OutOrStdout(), l, dp, st)
			return nil
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

func openLab(ctx context.Context, l *lab.Lab, mode string, stderr io.Writer) (*topology.DataPlane, error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dp, err := topology.Open(ctx, topology.Options{Backend: mode, Prefix: l.Prefix, Logger: log})
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
	dp, err := openLab(ctx, l, f.dataplane, stderr)
	if err != nil {
		return err
	}
	defer dp.Close()
	backend, _ := dp.Backend()
	if backend == "userspace" && (len(l.Snapshot.LAGs) > 0 || len(l.Snapshot.VLANs) > 0) {
		watch = true // the engine behind the LAGs and VIFs runs in this process
	}
	var events <-chan struct{}
	if watch {
		events = printEvents(out, dp)
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
	printLabStatus(out, l, dp, st)
	if !watch {
		return nil
	}
	fmt.Fprintf(out, "\nwatching events (%s backend); interrupt to stop\n", backend)
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-sig.Done()
	_ = dp.Close()
	<-events
	return nil
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
