package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim/dxapi"
)

func init() { subcommands = append(subcommands, newWatchCmd) }

func newWatchCmd() *cobra.Command {
	var (
		f      clientFlags
		id     string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "watch",
		Short: "Follow a running dxsim serve's events: state changes, milestones, interruption reports",
		Long: `watch prints the events of a running dxsim serve (GET /dxsim/v1/events) as they
happen until interrupted: every state change the Direct Connect API reports
(a connection down while it is interrupted, available once converged, a LAG
following its minimum links), each milestone of an associate or disassociate
as the links reach it, and the operation's interruption report.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			err := f.events(cmd.Context(), id, nil, func(e dxapi.Event, raw []byte) bool {
				if asJSON {
					fmt.Fprintln(out, string(raw))
				} else {
					fmt.Fprintln(out, formatEvent(e))
				}
				return true
			})
			if errors.Is(err, context.Canceled) {
				return nil // interrupted: the normal way to stop
			}
			return err
		},
	}
	f.register(c)
	c.Flags().StringVar(&id, "id", "", "follow only this connection, LAG or VIF")
	c.Flags().BoolVar(&asJSON, "json", false, "print the events as the server sends them, one JSON object a line")
	return c
}
