package topology

import (
	"crypto/sha256"
	"fmt"
	"net"
	"strings"
)

// DefaultPrefix starts the name of every namespace dxsim makes, so that
// anything it leaves in the kernel is recognisably its own.
const DefaultPrefix = "dxsim"

// maxIfName is the longest interface name the kernel accepts (IFNAMSIZ less
// the terminating NUL). Direct Connect IDs ("dxcon-" and 8 characters) fit.
const maxIfName = 15

// role says whose namespace a namespace is.
type role string

const (
	roleDevice role = "dx" // a simulated AWS device: the DX endpoint
	roleRouter role = "cr" // the customer router facing that device
	roleRegion role = "rg" // a Region: its address spaces, behind the devices
)

// namer spells the names of a lab's namespaces. Each AWS device has its own
// namespace and faces one customer router, which has its own:
// "<prefix>-dx-<device>" and "<prefix>-cr-<device>".
type namer struct{ prefix string }

func (n namer) ns(r role, device string) string {
	return n.prefix + "-" + string(r) + "-" + device
}

// parse reports the role and device of a namespace this namer made, and
// false for any other namespace (another lab's, a test's, the host's).
func (n namer) parse(name string) (role, string, bool) {
	rest, ok := strings.CutPrefix(name, n.prefix+"-")
	if !ok {
		return "", "", false
	}
	for _, r := range []role{roleDevice, roleRouter} {
		if dev, ok := strings.CutPrefix(rest, string(r)+"-"); ok && dev != "" {
			return r, dev, true
		}
	}
	return "", "", false
}

// ours reports whether a namespace is one this namer made: a device's, a
// customer router's or a Region's.
func (n namer) ours(name string) bool {
	if _, _, ok := n.parse(name); ok {
		return true
	}
	rest, ok := strings.CutPrefix(name, n.prefix+"-"+string(roleRegion)+"-")
	return ok && rest != ""
}

// checkPrefix rejects a prefix that cannot start a namespace name or that
// would not be recognisably dxsim's.
func checkPrefix(p string) error {
	if !strings.HasPrefix(p, DefaultPrefix) {
		return fmt.Errorf("namespace prefix %q does not start with %q", p, DefaultPrefix)
	}
	return checkNSPart("prefix", p)
}

func checkNSPart(what, s string) error {
	if s == "" || strings.ContainsAny(s, "/\x00") || s == "." || s == ".." {
		return fmt.Errorf("%s %q cannot be part of a namespace name", what, s)
	}
	return nil
}

// checkIfName rejects an ID that cannot name an interface.
func checkIfName(id string) error {
	if id == "" || len(id) > maxIfName || strings.ContainsAny(id, "/ :\x00") {
		return fmt.Errorf("%q cannot name an interface (1-%d characters, no '/', ':' or space)", id, maxIfName)
	}
	return nil
}

// systemMAC is the LACP system MAC of one side of a device: stable for the
// device, so a restart or another host builds the same LAG identity, and
// different for the AWS and customer sides. It is a locally administered
// unicast address.
func systemMAC(r role, device string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("dxsim/" + string(r) + "/" + device))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

// Namespaces names the namespaces a data plane with this prefix makes for an
// AWS device: the DX endpoint's side and the customer router's side. Tools
// that watch a device's links from outside the data plane (a probe, a
// capture) open them by these names.
func Namespaces(prefix, device string) (aws, customer string) {
	n := namer{prefix: prefix}
	return n.ns(roleDevice, device), n.ns(roleRouter, device)
}
