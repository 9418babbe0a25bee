package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/dxapi"
)

func init() { subcommands = append(subcommands, newAssociateCmd) }

func newAssociateCmd() *cobra.Command {
	var (
		f        clientFlags
		conn     string
		lag      string
		asJSON   bool
		deadline time.Duration
	)
	c := &cobra.Command{
		Use:   "associate --connection ID --lag ID",
		Short: "Associate a connection with a LAG on a running dxsim serve and show the interruption live",
		Long: `associate calls AssociateConnectionWithLag on a running dxsim serve, as the aws
CLI would, and prints each milestone as the links reach it (the port going
down, the customer router losing carrier, the port enslaved and up, the
LACPDUs, each side in sync, collecting and distributing, the first probe
frame delivered again), then a summary of the interruption. The serve keeps
the operation's LACPDUs as pcapng; the summary gives the path.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), deadline)
			defer cancel()
			return runAssociate(ctx, cmd.OutOrStdout(), f, conn, lag, asJSON)
		},
	}
	f.register(c)
	c.Flags().StringVar(&conn, "connection", "", "the connection (dxcon-…) to associate")
	c.Flags().StringVar(&lag, "lag", "", "the LAG (dxlag-…) to associate it with")
	c.Flags().BoolVar(&asJSON, "json", false, "print the interruption report as JSON instead")
	c.Flags().DurationVar(&deadline, "timeout", 3*time.Minute, "give up waiting for the report after this long")
	_ = c.MarkFlagRequired("connection")
	_ = c.MarkFlagRequired("lag")
	return c
}

// runAssociate follows the connection's events, asks for the association
// once the stream is open (so no milestone is missed), and prints until the
// interruption report arrives.
func runAssociate(ctx context.Context, out io.Writer, f clientFlags, conn, lag string, asJSON bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out = &lockedWriter{w: out} // the call's goroutine and the stream both print
	callErr := make(chan error, 1)
	var report *sim.Interruption
	opened := func() {
		go func() {
			_, err := f.directConnect().AssociateConnectionWithLag(ctx, &dx.AssociateConnectionWithLagInput{
				ConnectionId: aws.String(conn), LagId: aws.String(lag),
			})
			if err != nil {
				cancel()
			} else if !asJSON {
				fmt.Fprintf(out, "AssociateConnectionWithLag %s -> %s: accepted\n", conn, lag)
			}
			callErr <- err
		}()
	}
	err := f.events(ctx, conn, opened, func(e dxapi.Event, _ []byte) bool {
		if e.Type == dxapi.TypeInterruption && e.Report != nil && e.Report.Op == sim.OpAssociate {
			report = e.Report
			return false
		}
		if !asJSON {
			fmt.Fprintln(out, formatEvent(e))
		}
		return true
	})
	select {
	case cerr := <-callErr:
		if cerr != nil {
			return fmt.Errorf("AssociateConnectionWithLag: %w", cerr)
		}
	default:
	}
	if report == nil {
		if err == nil {
			err = fmt.Errorf("the event stream ended before the interruption report")
		}
		return fmt.Errorf("waiting for the interruption report of %s: %w", conn, err)
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	printTimeline(out, report)
	printSummary(out, report)
	return nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
