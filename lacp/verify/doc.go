// Package verify reads an LACP conversation back: it turns LACPDUs, observed
// live or read from a capture, into a per-port timeline (the first PDU each
// way; when each side reached sync, collecting and distributing; when it was
// defaulted or expired), checks that the two sides agree (each echoes what the
// other says; keys and system IDs are the same across the LAG's ports), and
// answers when each port became usable both ways and how long after it was
// enslaved.
//
// A Verifier is fed Frames or decoded Observations in time order and asked for
// a Report at any time. The side whose ports were captured is "local" (the
// Direct Connect endpoint in dxsim); the other is "remote". When the capture
// does not say which way a frame went, the actor system tells.
//
// Live, from topology/capture:
//
//	for f := range c.Frames() {
//		_ = v.ObserveFrame(verify.Frame{Time: f.Time, Port: f.Port,
//			Direction: verify.Direction(f.Direction), Data: f.Data})
//	}
//	report := v.Report()
//
// From a file, ReadCapture returns the Frames of a pcap or pcapng file.
package verify
