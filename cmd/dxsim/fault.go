package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
)

func init() { subcommands = append(subcommands, newFaultCmd) }

func newFaultCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "fault",
		Short: "Set, clear and list training faults on a running dxsim serve",
		Long: `A fault breaks one side of a link the way a misconfigured or failing end does,
on a running dxsim serve (--endpoint), while traffic runs. The Direct Connect
API then shows what AWS would: a member that stops speaking LACP goes down, a
LAG below its minimum links goes down, a VIF whose session cannot come up
reads down.

On a connection (--connection), either side (--side aws|customer):
  --lacp silent|wrong-key|passive|slow|flap   the port's LACP, as a LAG member
  --link down|flap|loss|delay                 the port's link
On a VIF (--vif):
  --bgp wrong-asn|wrong-md5|too-many-prefixes|reset

A side has at most one fault of each kind (lacp, link, bgp) on an object:
setting another replaces it. Faults are kept across restarts until cleared.`,
	}
	c.AddCommand(newFaultSetCmd(), newFaultClearCmd(), newFaultListCmd())
	return c
}

func newFaultSetCmd() *cobra.Command {
	var (
		f                     clientFlags
		spec                  sim.FaultSpec
		flapUp, flapDown      time.Duration
		delay, jitter, period time.Duration
		key                   uint16
		asJSON                bool
	)
	c := &cobra.Command{
		Use:   "set",
		Short: "Set a fault on one side of a connection or VIF",
		Example: `  dxsim fault set --connection dxcon-abc12345 --side customer --lacp silent
  dxsim fault set --connection dxcon-abc12345 --side customer --lacp wrong-key
  dxsim fault set --connection dxcon-abc12345 --side aws --lacp flap --flap-up 10s --flap-down 4s
  dxsim fault set --connection dxcon-abc12345 --side customer --link loss --loss 5 --delay 20ms
  dxsim fault set --vif dxvif-abc12345 --side customer --bgp wrong-md5
  dxsim fault set --vif dxvif-abc12345 --side customer --bgp too-many-prefixes --prefixes 150`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec.Key, spec.FlapUp, spec.FlapDown = key, sim.Duration(flapUp), sim.Duration(flapDown)
			spec.Delay, spec.Jitter, spec.Period = sim.Duration(delay), sim.Duration(jitter), sim.Duration(period)
			got, err := dxapi.NewClient(f.endpoint).SetFault(cmd.Context(), spec)
			if err != nil {
				return faultErr(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), got)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "fault set: %s\n", got)
			return nil
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&spec.Connection, "connection", "", "the connection (dxcon-…) whose port the lacp or link fault is on")
	fl.StringVar(&spec.VIF, "vif", "", "the VIF (dxvif-…) whose BGP the bgp fault is on")
	fl.StringVar(&spec.Side, "side", "", "aws (the DX device's end) or customer (the customer router's)")
	fl.StringVar(&spec.LACP, "lacp", "", "silent, wrong-key, passive, slow or flap")
	fl.StringVar(&spec.Link, "link", "", "down, flap, loss or delay")
	fl.StringVar(&spec.BGP, "bgp", "", "wrong-asn, wrong-md5, too-many-prefixes or reset")
	fl.Uint16Var(&key, "key", 0, "wrong-key: the LACP key (default: one unlike the LAG's)")
	fl.DurationVar(&flapUp, "flap-up", 0, "flap: how long up each time (default 5s)")
	fl.DurationVar(&flapDown, "flap-down", 0, "flap: how long down each time (default 5s)")
	fl.Float64Var(&spec.Loss, "loss", 0, "loss: the percentage of frames lost (default 10)")
	fl.DurationVar(&delay, "delay", 0, "delay: how long each frame is held (default 100ms)")
	fl.DurationVar(&jitter, "jitter", 0, "delay: up to this much more or less")
	fl.Int64Var(&spec.ASN, "asn", 0, "wrong-asn: the ASN the side runs (default: its own plus one)")
	fl.StringVar(&spec.AuthKey, "auth-key", "", "wrong-md5: the MD5 key the side uses (default: its own, altered)")
	fl.IntVar(&spec.Prefixes, "prefixes", 0, "too-many-prefixes: how many the customer announces (default: the VIF's limit plus one)")
	fl.DurationVar(&period, "period", 0, "reset: reset again every period (default: once)")
	fl.BoolVar(&asJSON, "json", false, "print the fault as JSON")
	return c
}

func newFaultClearCmd() *cobra.Command {
	var (
		f                   clientFlags
		conn, vif, side, of string
		all, asJSON         bool
	)
	c := &cobra.Command{
		Use:   "clear",
		Short: "Clear the faults on a connection or VIF (one side, one kind), or every fault",
		Example: `  dxsim fault clear --connection dxcon-abc12345
  dxsim fault clear --vif dxvif-abc12345 --side customer --kind bgp
  dxsim fault clear --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target := conn + vif
			switch {
			case conn != "" && vif != "":
				return errors.New("fault clear: --connection or --vif, not both")
			case target == "" && !all:
				return errors.New("fault clear: name a --connection or a --vif, or clear every fault with --all")
			case target != "" && all:
				return errors.New("fault clear: --all clears every fault; it takes no --connection or --vif")
			}
			got, err := dxapi.NewClient(f.endpoint).ClearFaults(cmd.Context(), target, side, of)
			if err != nil {
				return faultErr(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), dxapi.FaultList{Faults: got})
			}
			if len(got) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no fault to clear")
			}
			for _, g := range got {
				fmt.Fprintf(cmd.OutOrStdout(), "fault cleared: %s\n", g)
			}
			return nil
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&conn, "connection", "", "clear this connection's faults")
	fl.StringVar(&vif, "vif", "", "clear this VIF's faults")
	fl.StringVar(&side, "side", "", "only this side's: aws or customer")
	fl.StringVar(&of, "kind", "", "only this kind: lacp, link or bgp")
	fl.BoolVar(&all, "all", false, "clear every fault")
	fl.BoolVar(&asJSON, "json", false, "print the faults cleared as JSON")
	return c
}

func newFaultListCmd() *cobra.Command {
	var (
		f      clientFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List the faults set",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			got, err := dxapi.NewClient(f.endpoint).Faults(cmd.Context())
			if err != nil {
				return faultErr(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), dxapi.FaultList{Faults: got})
			}
			printFaults(cmd.OutOrStdout(), got)
			return nil
		},
	}
	f.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the faults as JSON")
	return c
}

func printFaults(out io.Writer, fs []sim.Fault) {
	if len(fs) == 0 {
		fmt.Fprintln(out, "no faults set")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ON\tSIDE\tFAULT\tSET")
	for _, f := range fs {
		what := strings.TrimPrefix(f.String(), f.Side+" side of "+f.Target()+": ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Target(), f.Side, what, f.Set.Local().Format(time.TimeOnly))
	}
	_ = tw.Flush()
}

// faultErr names the server's refusal as the server put it.
func faultErr(err error) error {
	var e *dxapi.APIError
	if errors.As(err, &e) {
		return fmt.Errorf("fault: %s", e.Message)
	}
	return fmt.Errorf("fault: %w", err)
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
