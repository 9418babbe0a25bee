package topology

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dxsim/dxsim/lacp/capture/afpacket"
)

// portDefaults are the sysctls a port's veth ends are born with. A Direct
// Connect port carries no layer 3 of its own (its VIFs, VLANs on it, do),
// so its ends neither answer ARP nor speak IPv6: no link-local address, no
// duplicate address detection, no router solicitation or MLD report on the
// wire beside LACP and the lab's own traffic. Born so, a port also comes up
// without IPv6's work, and a LAG member needs no sysctl written. They are a
// namespace's defaults only while dxsim makes ports: an interface made there
// afterwards (a VLAN, one made by hand) gets the namespace's usual defaults.
var portDefaults = [...]struct{ path, value string }{
	{"/proc/sys/net/ipv4/conf/default/arp_ignore", "8"},
	{"/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"},
}

// withPortDefaults runs makePorts with the namespaces' defaults set to
// portDefaults, then puts back what they were. The caller holds d.mu, so
// nothing else of dxsim's makes interfaces there meanwhile.
func withPortDefaults(nss []*netNS, makePorts func() error) error {
	saved := make([][len(portDefaults)]string, len(nss))
	for i, ns := range nss {
		err := afpacket.InNamespace(ns.ns, func() error {
			for j, s := range portDefaults {
				old, err := swapSysctl(s.path, s.value)
				if err != nil {
					return err
				}
				saved[i][j] = old
			}
			return nil
		})
		if err != nil {
			restoreDefaults(nss[:i+1], saved)
			return fmt.Errorf("port defaults in %s: %w", ns.name, err)
		}
	}
	err := makePorts()
	if rerr := restoreDefaults(nss, saved); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}

// restoreDefaults writes back the defaults withPortDefaults replaced.
func restoreDefaults(nss []*netNS, saved [][len(portDefaults)]string) error {
	var errs []error
	for i, ns := range nss {
		err := afpacket.InNamespace(ns.ns, func() error {
			for j, s := range portDefaults {
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
