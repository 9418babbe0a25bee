// Package lacpfault breaks one kernel bond member's LACP on the wire, for
// training: the kernel's 802.3ad bonds have no per-port fault knobs, so the
// faults the userspace engine has per port (lacp/engine PortAdmin: Silent,
// Key, Passive, Flap) are made here by eBPF classifiers on the member's veth.
//
// Set attaches a clsact qdisc (unless the interface has one already) with a
// direct-action cls_bpf filter on egress and one on ingress. The programs
// touch only untagged Slow Protocols frames carrying an LACPDU (EtherType
// 0x8809, subtype 1, Actor and Partner TLVs of length 20); everything else
// passes. What they do is read from a one-entry config map, so a new Fault
// is one map write, never a re-attach; what they learn and count is in a
// second map (Stats).
//
//	egress  (the bond's PDUs)     Silent, Flap down: drop
//	                              Passive: drop until the partner's last PDU
//	                              was Active, then clear the Activity bit
//	                              Key: write Fault.Key as the actor key
//	ingress (the partner's PDUs)  Flap down: drop
//	                              Passive: the partner's echo of the local
//	                              Activity bit is set back as the bond sent it
//	                              Key: the partner's echo of Fault.Key is
//	                              written back as the bond's own key
//
// The rewrites on ingress keep the local bond consistent (it sees its
// partner agree with what it sent), so the fault is seen by the partner
// alone: a port with another key, or a passive one.
//
// The kernel holds the attachment: a later Set, Clear or Stats (from any
// process) finds the filters by name and their maps through the programs.
// Only the Flap schedule lives in the process that called Set: a goroutine
// flips the config map's drop bit, and Clear or the next Set stops it. A
// process that ends mid-schedule leaves the phase it was in (passing or
// dropping) until the next Set or Clear.
//
// Clear removes both filters, and the clsact qdisc when Set added it and no
// other filter is left on it.
package lacpfault
