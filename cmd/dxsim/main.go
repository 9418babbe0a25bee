// Command dxsim simulates an AWS Direct Connect endpoint with real link
// behaviour: the Direct Connect API over real Linux links, LAGs that speak
// LACP, and the interruption of AssociateConnectionWithLag made observable.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dxsim/dxsim/topology/bgp"
)

func main() {
	// A BGP speaker is this program started again inside a namespace.
	bgp.RunIfSpeaker()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var q *quietError
		if !errors.As(err, &q) {
			fmt.Fprintln(os.Stderr, "dxsim:", err)
		}
		os.Exit(1)
	}
}

// quietError fails a command whose output has already said why (an
// exercise check that does not hold): exit 1, nothing more printed.
type quietError struct{ error }
