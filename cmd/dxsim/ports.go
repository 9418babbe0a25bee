package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim/dxapi"
)

func init() { subcommands = append(subcommands, newPortsCmd) }

func newPortsCmd() *cobra.Command {
	var (
		f      clientFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "ports",
		Short: "Show a running dxsim serve's ports: each end's link, and a LAG member's LACP",
		Long: `ports prints each connection's port on a running dxsim serve's data plane
(GET /dxsim/v1/dataplane): the link at AWS's end and at the customer router's, and for
a LAG member the LACP state of each end as actor/partner, its bits spelt as
Wireshark does, highest first: E expired, F defaulted, D distributing,
C collecting, S synchronization, G aggregation, S short timeout, A activity
("*" for a bit that is off; "**DCSGSA" is a member in the LAG).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := dxapi.NewClient(f.endpoint).DataPlane(cmd.Context())
			if err != nil {
				return fmt.Errorf("ports: %w", err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			printPorts(cmd.OutOrStdout(), st)
			return nil
		},
	}
	f.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the ports as JSON")
	return c
}

func printPorts(out io.Writer, st dxapi.DataPlaneStatus) {
	fmt.Fprintf(out, "%s data plane\n", st.Backend)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTION\tLAG\tAWS END\tCUSTOMER END")
	end := func(up bool, l *dxapi.MemberLACP) string {
		s := "down"
		if up {
			s = "up"
		}
		if l != nil {
			s += " " + l.Actor + "/" + l.Partner
			if l.CollectingDistributing {
				s += " (in the LAG)"
			}
		}
		return s
	}
	for _, p := range st.Ports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ConnectionID, labOr(p.LAGID, "-"), end(p.AWSUp, p.AWSLACP), end(p.CustomerUp, p.CustomerLACP))
	}
	_ = tw.Flush()
}
