package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/lacp/verify"
)

func newLACPDecodeCmd() *cobra.Command {
	var (
		asJSON bool
		local  string
		key    uint16
	)
	cmd := &cobra.Command{
		Use:   "decode FILE.pcap",
		Short: "Print the per-port LACP timeline of a capture (pcap or pcapng)",
		Long: `Decode the LACPDUs of a capture and print, for each port of the LAG, when each
side first spoke, reached sync, collecting and distributing, went defaulted or
expired; when the port became usable both ways and how long after it was
enslaved (its local side's first LACPDU); and any inconsistency in the
conversation. Times are seconds from the first LACPDU.

The local side is the captured one: the direction pcapng records, --local, or
else the system that spoke last for the first time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := verify.Config{Key: key}
			if local != "" {
				mac, err := net.ParseMAC(local)
				if err != nil || len(mac) != 6 {
					return fmt.Errorf("--local %q: want a MAC address like 02:00:00:00:00:01", local)
				}
				cfg.Local = lacp.SystemID(mac)
			}
			r, err := decodeCapture(args[0], cfg)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(newReportJSON(r))
			}
			return printReport(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of tables")
	cmd.Flags().StringVar(&local, "local", "", "actor system MAC of the captured (local) side")
	cmd.Flags().Uint16Var(&key, "key", 0, "the local side's LAG key, checked on every port (0: not checked)")
	return cmd
}

func decodeCapture(path string, cfg verify.Config) (*verify.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	frames, err := verify.ReadCapture(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v := verify.New(cfg)
	for _, fr := range frames {
		// Frames of other EtherTypes are not LACP's business, and
		// malformed LACPDUs are counted in the report: neither stops
		// the decoding.
		_ = v.ObserveFrame(fr)
	}
	return v.Report(), nil
}

// seconds formats t as seconds since start, or "-" for a zero time.
func seconds(start, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%.3f", t.Sub(start).Seconds())
}

func printReport(out io.Writer, r *verify.Report) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	how := "given"
	if r.LocalInferred {
		how = "inferred; --local overrides"
	}
	pdus := 0
	for _, p := range r.Ports {
		pdus += p.PDUs
	}
	fmt.Fprintf(w, "local system\t%s (%s)\n", r.Local, how)
	fmt.Fprintf(w, "remote system\t%s\n", r.Remote)
	fmt.Fprintf(w, "LACPDUs\t%d from %s; %d malformed, %d markers, %d other subtypes\n\n",
		pdus, r.Start.UTC().Format(time.RFC3339Nano), r.Malformed, r.Markers, r.OtherSubtypes)

	fmt.Fprintln(w, "PORT\tLOCAL KEY/PORT\tREMOTE KEY/PORT\tENSLAVED\tUSABLE\tCONVERGED AFTER")
	for _, p := range r.Ports {
		conv := "-"
		if d, ok := p.ConvergedAfter(); ok {
			conv = fmt.Sprintf("%.3fs", d.Seconds())
		}
		enslaved := seconds(r.Start, p.Enslaved)
		if p.EnslavedMarked {
			enslaved += " (marked)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, keyPort(p.Local), keyPort(p.Remote),
			enslaved, seconds(r.Start, p.Usable), conv)
	}
	for _, p := range r.Ports {
		fmt.Fprintf(w, "\n%s\nTIME\tSIDE\tEVENT\tSTATE\n", p.Name)
		for _, e := range p.Events {
			fmt.Fprintf(w, "%s\t%s\t%s", seconds(r.Start, e.Time), e.Side, e.Kind)
			if e.Side != verify.SideBoth {
				fmt.Fprintf(w, "\t%s (0x%02x)", e.State, uint8(e.State))
			}
			fmt.Fprintln(w)
		}
	}
	if len(r.Issues) == 0 {
		fmt.Fprintln(w, "\nissues: none")
	} else {
		fmt.Fprintf(w, "\nissues: %d\nTIME\tPORT\tSIDE\tISSUE\n", len(r.Issues))
		for _, i := range r.Issues {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s: %s (%d times)\n", seconds(r.Start, i.Time), i.Port, i.Side, i.Kind, i.Detail, i.Count)
		}
	}
	return w.Flush()
}

func keyPort(i lacp.PortInfo) string {
	if i.System == (lacp.SystemID{}) {
		return "-"
	}
	return fmt.Sprintf("%d/%d", i.Key, i.Port)
}
