package topology

// Namespaces names the namespaces a data plane with this prefix makes for an
// AWS device: the DX endpoint's side and the customer router's side. Tools
// that watch a device's links from outside the data plane (a probe, a
// capture) open them by these names.
func Namespaces(prefix, device string) (aws, customer string) {
	n := namer{prefix: prefix}
	return n.ns(roleDevice, device), n.ns(roleRouter, device)
}
