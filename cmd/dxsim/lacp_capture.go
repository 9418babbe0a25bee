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
	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/topology/capture"
)

func newLACPCaptureCmd() *cobra.Command {
	var (
		nsName   string
		out      string
		classic  bool
		count    int
		duration time.Duration
	)
	cmd := &cobra.Command{
		Use:   "capture [PORT...]",
		Short: "Capture LACPDUs in a network namespace as pcapng (or pcap)",
		Long: `Capture the Slow Protocols frames (LACP, Marker; EtherType 0x8809, filtered in
the kernel) of the named ports, or of every port of the namespace, until
interrupted, --count frames or --duration. The capture keeps listening while a
port bounces, and rebinds to a port deleted and made again.

pcapng (the default) keeps each frame's port and direction; --pcap writes
classic Ethernet pcap. "dxsim lacp decode" reads either.`,
		RunE: func(cmd *cobra.Command, ports []string) error {
			ns, err := openNetNS(nsName)
			if err != nil {
				return err
			}
			if ns != 0 {
				defer ns.Close()
			}
			w, closeOut, err := captureOutput(out, classic, ports, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			c, err := capture.Open(capture.Config{
				NetNS:  ns,
				Ports:  ports,
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)),
			})
			if err != nil {
				closeOut()
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}
			go func() { <-ctx.Done(); c.Close() }()
			n, werr := 0, error(nil)
			for f := range c.Frames() {
				if count > 0 && n >= count {
					continue // closing: frames already queued are not written
				}
				if werr == nil {
					werr = w.WriteFrame(f)
				}
				if n++; count > 0 && n >= count {
					c.Close()
				}
			}
			werr = firstErr(werr, w.Flush(), closeOut())
			st := c.Stats()
			fmt.Fprintf(cmd.ErrOrStderr(), "%d frames, %d dropped by the kernel; ports went down %d times, rebound %d times\n",
				st.Frames, st.Dropped, st.Downs, st.Rebinds)
			return werr
		},
	}
	f := cmd.Flags()
	f.StringVar(&nsName, "netns", "", "network namespace: a name under /run/netns or a path (default: this process's)")
	f.StringVarP(&out, "write", "w", "-", "output file; - for standard output")
	f.BoolVar(&classic, "pcap", false, "write classic pcap instead of pcapng")
	f.IntVarP(&count, "count", "c", 0, "stop after this many frames (0: no limit)")
	f.DurationVar(&duration, "duration", 0, "stop after this long (0: no limit)")
	return cmd
}

// openNetNS opens a namespace by name or path; "" is this process's own,
// which capture.Config spells 0.
func openNetNS(name string) (netns.NsHandle, error) {
	if name == "" {
		return 0, nil
	}
	var (
		h   netns.NsHandle
		err error
	)
	if strings.Contains(name, "/") {
		h, err = netns.GetFromPath(name)
	} else {
		h, err = netns.GetFromName(name)
	}
	if err != nil {
		return 0, fmt.Errorf("--netns %s: %w", name, err)
	}
	return h, nil
}

func captureOutput(path string, classic bool, ports []string, stdout io.Writer) (capture.FrameWriter, func() error, error) {
	out, closeOut := stdout, func() error { return nil }
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, err
		}
		out, closeOut = f, f.Close
	}
	if !classic {
		return capture.NewPcapngWriter(out, ports...), closeOut, nil
	}
	w, err := capture.NewPcapWriter(out, 2048)
	if err != nil {
		closeOut()
		return nil, nil, err
	}
	return w, closeOut, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
