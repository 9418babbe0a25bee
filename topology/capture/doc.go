// Package capture records a namespace's or a set of ports' LACP conversation
// as the kernel sees it: an AF_PACKET socket with a classic BPF filter for
// the Slow Protocols EtherType (0x8809) attached in the kernel, each frame
// stamped with the kernel's receive time, its port and its direction
// (received, or sent by this host), written out as pcapng that Wireshark
// reads (or classic pcap).
//
// A capture keeps listening while a port bounces: the kernel reports
// ENETDOWN once when a bound port goes down and delivers frames again when it
// comes back up, so the capture counts the bounce and reads on. A port that is
// deleted and made again under the same name gets a new ifindex, which a bound
// socket never learns of: after a bounce the capture looks the name up again
// (every Config.RecheckInterval until a frame arrives) and rebinds the socket
// to the new interface. A namespace-wide capture (no Ports) is bound to no
// interface and needs none of this: it sees every port of the namespace,
// including ports made after it started.
//
// Close stops the capture, closes the Frames channel and returns once its
// goroutines have ended.
package capture
