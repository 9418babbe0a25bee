// Package bgp runs the BGP speakers of dxsim's VIFs: on the Amazon side, in
// a DX device's namespace, a session per BGP peer of each VIF with AWS's
// settings, which reports the routes it accepts from the customer (what
// the Region behind the device routes by: Controller.Learned); on the
// customer side, where dxsim is the customer's router too, the customer's
// sessions, which announce the customer router's one network on each of
// its VIFs and install what they learn into its routing table, each VIF's
// routes with a metric of their own, so that a VIF whose session goes down
// takes its routes away and the customer's traffic moves to another.
//
// The speaker is GoBGP (github.com/osrg/gobgp/v4), used as a library. A Go
// program's sockets are made in the namespace of the thread that makes
// them, and GoBGP dials and listens from goroutines of its own, so each
// namespace gets a speaker process of its own: the dxsim binary again,
// started from a thread inside the namespace (RunIfSpeaker, called first
// thing in main, turns it into the speaker). The parent drives it with
// JSON lines on its standard input (the routers it should run) and reads
// what happens to the sessions on its standard output; the speaker exits
// when its standard input closes, so it never outlives the process that
// started it.
//
// Each Router is one VIF's side, with its own ASN, its own listening
// addresses and its own routes, so VIFs on one device never see each
// other's prefixes. It runs one GoBGP server per address family of its
// peers, so a VIF's IPv6 peer comes and goes without touching its IPv4
// session.
package bgp
