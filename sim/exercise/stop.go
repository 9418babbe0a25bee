package exercise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dxsim/dxsim/sim"
)

// Stop removes what the exercise made, and its session: the faults on its
// objects, the VIFs on its connections and LAGs (the trainee's too: they
// would keep the connections), its gateways' associations and gateways,
// its LAGs and its connections. The API refuses some of these while others
// are still going (a VIF being deleted keeps its connection), so each is
// tried again until a deadline.
func (r *Runner) Stop(ctx context.Context, s *Session) error {
	var errs []error
	for _, id := range s.Made {
		if _, err := r.DX.ClearFaults(ctx, id, "", ""); err != nil {
			errs = append(errs, err)
		}
	}
	var conns, lags, gws []string
	for _, id := range s.Made {
		switch {
		case strings.HasPrefix(id, sim.PrefixConnection):
			conns = append(conns, id)
		case strings.HasPrefix(id, sim.PrefixLAG):
			lags = append(lags, id)
		case !strings.HasPrefix(id, sim.PrefixVIF):
			gws = append(gws, id)
		}
	}
	// Members a LAG made stay as connections when it goes: find them first.
	for _, l := range lags {
		if shape, err := r.AWS.lag(ctx, l); err == nil {
			for _, m := range shape.Connections {
				if !slices.Contains(conns, m.ConnectionID) {
					conns = append(conns, m.ConnectionID)
				}
			}
		}
	}
	vifs, err := r.exerciseVIFs(ctx, s, append(slices.Clone(conns), lags...), gws)
	if err != nil {
		errs = append(errs, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, v := range vifs {
		_ = r.AWS.call(ctx, "StopBgpFailoverTest", map[string]string{"virtualInterfaceId": v}, nil)
		errs = append(errs, r.retry(ctx, deadline, "DeleteVirtualInterface", map[string]string{"virtualInterfaceId": v}))
	}
	for _, a := range s.Associations {
		gw, id, _ := strings.Cut(a, " ")
		errs = append(errs, r.retry(ctx, deadline, "DeleteDirectConnectGatewayAssociation", map[string]string{"directConnectGatewayId": gw, "associationId": id}))
	}
	for _, gw := range gws {
		errs = append(errs, r.retry(ctx, deadline, "DeleteDirectConnectGateway", map[string]string{"directConnectGatewayId": gw}))
	}
	for _, l := range lags {
		errs = append(errs, r.retry(ctx, deadline, "DeleteLag", map[string]string{"lagId": l}))
	}
	for _, c := range conns {
		errs = append(errs, r.retry(ctx, deadline, "DeleteConnection", map[string]string{"connectionId": c}))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.Remove(r.path(s.Exercise)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// exerciseVIFs are the VIFs the exercise made, on its connections and
// LAGs, or on its gateways.
func (r *Runner) exerciseVIFs(ctx context.Context, s *Session, on, gws []string) ([]string, error) {
	all, err := r.AWS.vifs(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range all {
		if v.VirtualInterfaceState == sim.StateDeleted || v.VirtualInterfaceState == sim.StateDeleting {
			continue
		}
		if slices.Contains(s.Made, v.VirtualInterfaceID) || slices.Contains(on, v.ConnectionID) || slices.Contains(gws, v.DirectConnectGatewayID) {
			out = append(out, v.VirtualInterfaceID)
		}
	}
	return out, nil
}

// retry calls a delete until it succeeds, the object is gone, or the
// deadline passes.
func (r *Runner) retry(ctx context.Context, deadline time.Time, op string, in map[string]string) error {
	for {
		err := r.AWS.call(ctx, op, in, nil)
		var e *APIError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &e) && gone(e):
			return nil
		case time.Now().After(deadline) || !errors.As(err, &e) || e.Status >= 500:
			return fmt.Errorf("removing: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// gone: the API says the object is not there (or already deleted).
func gone(e *APIError) bool {
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "could not find") || strings.Contains(m, "not found") || strings.Contains(m, "deleted") || strings.Contains(m, "does not exist")
}
