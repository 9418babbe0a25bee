package topology

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// l2Defaults are the sysctls a port's veth ends and a LAG's interface are
// born with. A Direct Connect port or LAG carries no layer 3 of its own (its
// VIFs, VLANs on it, do), so they neither answer ARP nor speak IPv6: no
// link-local address, no duplicate address detection, no router
// solicitation or MLD report on the wire beside LACP and the lab's own
// traffic. Born so, they also come up without IPv6's work, and a userspace
// LAG member needs no sysctl written. These are a namespace's defaults only
// while dxsim makes ports and LAGs: an interface made there afterwards (a
// VIF, one made by hand) gets the namespace's usual defaults.
var l2Defaults = [...]struct{ path, value string }{
	{"/proc/sys/net/ipv4/conf/default/arp_ignore", "8"},
	{"/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"},
}

// withL2Defaults runs makeL2 with the namespaces' defaults set to
// l2Defaults, then puts back what they were. It nests: a namespace already
// inside a call is left to that one. The caller holds d.mu, so nothing else
// of dxsim's makes interfaces there meanwhile. It fails, making nothing, if
// the defaults cannot be set; failing to put them back is logged, as what
// makeL2 made is made all the same.
func withL2Defaults(log *slog.Logger, nss []*netNS, makeL2 func() error) error {
	var mine []*netNS
	for _, ns := range nss {
		if ns.l2Depth == 0 {
			mine = append(mine, ns)
		}
		ns.l2Depth++
	}
	defer func() {
		for _, ns := range nss {
			ns.l2Depth--
		}
	}()
	saved := make([][len(l2Defaults)]string, len(mine))
	for i, ns := range mine {
		err := nsthread.Do(ns.ns, func() error {
			for j, s := range l2Defaults {
				old, err := swapSysctl(s.path, s.value)
				if err != nil {
					return err
				}
				saved[i][j] = old
			}
			return nil
		})
		if err != nil {
			_ = restoreDefaults(mine[:i+1], saved)
			return fmt.Errorf("layer-2 defaults in %s: %w", ns.name, err)
		}
	}
	err := makeL2()
	if rerr := restoreDefaults(mine, saved); rerr != nil {
		log.Warn("putting namespace defaults back", "err", rerr)
	}
	return err
}

// restoreDefaults writes back the defaults withL2Defaults replaced.
func restoreDefaults(nss []*netNS, saved [][len(l2Defaults)]string) error {
	var errs []error
	for i, ns := range nss {
		err := nsthread.Do(ns.ns, func() error {
			for j, s := range l2Defaults {
				if saved[i][j] == "" {
					continue
				}
				if _, err := swapSysctl(s.path, saved[i][j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring defaults in %s: %w", ns.name, err))
		}
	}
	return errors.Join(errs...)
}

// swapSysctl writes v to a sysctl in the calling thread's namespace and
// returns what it held; "" (and no error) when the kernel lacks it, as
// IPv6's when IPv6 is disabled at boot, or when it held v already.
func swapSysctl(path, v string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	old := strings.TrimSpace(string(b))
	if old == v {
		return "", nil
	}
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return "", err
	}
	return old, nil
}
