package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/observe"
	"github.com/dxsim/dxsim/topology/probe"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var (
		o        demoOptions
		asJSON   bool
		verbose  bool
		failover bool
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Build the default lab, associate its standalone connection with its LAG, and show the interruption",
		Long: `demo shows what AssociateConnectionWithLag does to a link. As root it builds the
default lab through the Direct Connect control plane on real links (a LAG of two
connections with minimum links 1, a standalone connection with a private VIF),
starts a probe of 1,000 frames a second from the customer router across the
standalone connection, associates the connection with the LAG, and prints the
timeline: the port going down, the customer router losing carrier, the port
enslaved and up again, the LACPDUs each way, each side in sync, collecting and
distributing, the first probe frame delivered again, and the VIF's BGP session
(between dxsim's Amazon side and its customer router) reset, established again
and its routes restored. The LACPDUs are kept
as pcapng. Everything is torn down afterwards, whatever happens (Ctrl-C too).

It uses kernel bonds where the kernel has bonding and 802.1Q, dxsim's userspace
LACP engine where it does not, and says which. State lives in a temporary
directory, so a dxsim serve's state is never touched.

Behind the device stands the Region: the VIF's VPC answers on its CIDR's first
address, routed by BGP, and a routed probe from the customer's network to it
measures the outage a flow sees (routed_lost, routed_restored).

With --failover: two connections, each with a private VIF from the one customer
router into one Direct Connect gateway associated with the VPC; the routed
probe runs while a BGP failover test (StartBgpFailoverTest) takes the first
VIF's session down and StopBgpFailoverTest brings it back, and the demo prints
which VIF carried the traffic each way before, during and after (the VIFs'
packet counters on the DX device), the timeline (the session, the VPC's
return path moving) and the probe's outages.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			out := cmd.OutOrStdout()
			if !asJSON {
				o.Progress = out
			}
			if failover {
				res, err := runFailoverDemo(cmd.Context(), o)
				if res != nil {
					if asJSON {
						enc := json.NewEncoder(out)
						enc.SetIndent("", "  ")
						if jerr := enc.Encode(res); jerr != nil {
							return jerr
						}
					} else {
						printFailover(out, res)
					}
				}
				return err
			}
			res, err := runDemo(cmd.Context(), o)
			if res != nil {
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if jerr := enc.Encode(res); jerr != nil {
						return jerr
					}
				} else {
					printDemo(out, res)
				}
			}
			return err
		},
	}
	c.Flags().StringVar(&o.Dataplane, "dataplane", "auto", "backend: auto, kernel or userspace")
	c.Flags().StringVar(&o.LACPTimers, "lacp-timers", "linux", "LACP timing: linux (as Linux bonds, on either backend) or 802.1ax (the standard's alone; userspace only)")
	c.Flags().StringVar(&o.StateDir, "state", "", "state directory (default: a temporary one, removed afterwards)")
	c.Flags().StringVar(&o.PcapDir, "pcap-dir", "", "where the LACPDU capture is written (default: the temporary directory)")
	c.Flags().IntVar(&o.ProbeRate, "rate", probe.DefaultRate, "probe frames a second")
	c.Flags().BoolVar(&o.FirstMember, "first-member", false, "associate with an empty LAG instead: its first member (kernel bonds wait out their 8 s aggregator selection timer)")
	c.Flags().BoolVar(&failover, "failover", false, "instead: two VIFs from one customer router into one Direct Connect gateway, a BGP failover test on the first, and the routed probe's outage and which VIF carried the traffic before, during and after")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of the timeline")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "log what the data plane does")
	return c
}

// printDemo prints the timeline and the summary.
func printDemo(w io.Writer, r *demoResult) {
	printTimeline(w, r.Interruption)
	fmt.Fprintf(w, "\nAPI states of %s after the request: %s\n", r.ConnectionID, strings.Join(r.APIStates, " -> "))
	printSummary(w, r.Interruption)
	if r.Namespaces > 0 {
		fmt.Fprintf(w, "torn down: %d namespaces deleted\n", r.Namespaces)
	}
}

func printTimeline(w io.Writer, r *sim.Interruption) {
	fmt.Fprintf(w, "\n%10s  %s\n", "t (ms)", "milestone")
	for _, m := range r.Milestones {
		if m.VIF != "" {
			fmt.Fprintf(w, "%10.1f  %s (%s)\n", m.TMS, m.Name, m.VIF)
			continue
		}
		fmt.Fprintf(w, "%10.1f  %s\n", m.TMS, m.Name)
	}
}

func printSummary(w io.Writer, r *sim.Interruption) {
	verb, arrow, restored, step := "associate", "->", "DX side collecting", "enslave"
	if r.Op == sim.OpDisassociate {
		verb, arrow, restored, step = "disassociate", "from", "link up on both sides", "release"
	}
	fmt.Fprintf(w, "\n%s %s %s %s on the %s backend\n", verb, r.ConnectionID, arrow, r.LAGID, r.Backend)
	fmt.Fprintf(w, "  interruption        %s  (carrier lost -> first probe frame delivered again)\n", msOr(r.InterruptionMS))
	if r.Op == sim.OpAssociate {
		fmt.Fprintf(w, "  LACP converged      %s  (carrier lost -> both sides collecting and distributing)\n", msOr(r.LACPConvergedMS))
	}
	fmt.Fprintf(w, "  probe outage        %s  (lost sequence numbers; %d of %d frames lost in all at %d/s)\n", msOr(r.ProbeOutageMS), r.ProbesLost, r.ProbesSent, r.ProbeRate)
	if r.ProbeLatenessMS > 0 {
		fmt.Fprintf(w, "    the probe's sender ran %.1f ms late at the outage's edges: the outage lies within %s + %.1f ms\n",
			r.ProbeLatenessMS, strings.TrimSpace(msOr(r.ProbeOutageMS)), r.ProbeLatenessMS)
	}
	if len(r.ProbeOutages) > 1 {
		for _, o := range r.ProbeOutages {
			fmt.Fprintf(w, "    frames lost from %.1f to %.1f ms: %d\n", o.FromMS, o.ToMS, o.Lost)
		}
	}
	agree := "no"
	if r.Agree {
		agree = "yes"
	}
	fmt.Fprintf(w, "  link/LACP outage    %s  (DX port down -> %s); agrees with the probe within %v: %s\n",
		msOr(r.LACPOutageMS), restored, observe.AgreeWithin, agree)
	fmt.Fprintf(w, "  dxsim overhead      %s  (request accepted -> DX port up again; %s of it down, %s, up)\n",
		msOr(r.OverheadMS), strings.TrimSpace(msOr(r.DataPlaneMS)), step)
	if rp := r.Routed; rp != nil {
		fmt.Fprintf(w, "  routed outage       %s  (%s -> %s and back, over BGP's routes; %d of %d lost)\n",
			msOr(rp.OutageMS), rp.From, rp.To, rp.Lost, rp.Sent)
	}
	for _, b := range r.BGP {
		fmt.Fprintf(w, "  BGP of %s  down %s -> established %s -> routes restored %s  (ms after the request)\n",
			b.VIFID, strings.TrimSpace(msOr(b.DownMS)), strings.TrimSpace(msOr(b.EstablishedMS)), strings.TrimSpace(msOr(b.RestoredMS)))
		fmt.Fprintf(w, "    reset by %s (the VIF moved from %s to %s)\n", b.ResetBy, b.From, b.To)
	}
	if r.Pcap != "" {
		fmt.Fprintf(w, "  pcap                %s\n", r.Pcap)
	}
	for _, i := range r.Issues {
		fmt.Fprintf(w, "  issue: %s\n", i)
	}
	if r.Err != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Err)
	}
}

func msOr(v *float64) string {
	if v == nil {
		return fmt.Sprintf("%9s", "-")
	}
	return fmt.Sprintf("%7.1f ms", *v)
}
