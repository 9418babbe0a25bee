// Package userspace is dxsim's link aggregation and 802.1Q for kernels that
// have neither: in one network namespace, a LAG's logical interface is a TAP
// device named after the LAG, and dxsim moves its frames itself.
//
//	              TAP "dxlag-…" (the LAG's interface: addresses, VLAN TAPs)
//	               │ read: distribute            ▲ write: collected frames
//	               ▼ (hash of the MACs over      │ (untagged; tagged ones go
//	                 distributing members)       │  to the VLAN's TAP)
//	AF_PACKET on member veth ──────────────── AF_PACKET on member veth
//	     │ 0x8809 frames                              │
//	     └──────────────► LACP control ◄──────────────┘
//	             (lacp/engine: PDUs in and out, per-member
//	              collecting/distributing, state events)
//
// A VLAN interface (a VIF or hosted connection) is a TAP device too: frames
// read from it are tagged with its VLAN ID and sent out of its parent (a
// port, or a LAG through its distribution), and tagged frames arriving on the
// parent are untagged and written to it. The kernel strips 802.1Q tags into
// packet metadata on receive; the tag is read from PACKET_AUXDATA.
//
// A frame another interface of the host sent through a veth (a Linux bond at
// the other end) may arrive with its checksum unfinished or as a 64 KiB
// segmentation-offload super-frame. Member sockets read each frame's
// virtio_net_hdr (PACKET_VNET_HDR) and the TAPs take it (IFF_VNET_HDR), so
// the TAP's kernel side completes the frame.
//
// Members are raw veths that keep their own MAC. So that the kernel does not
// answer for the LAG through a member, a member is set never to answer ARP
// (arp_ignore 8) and has IPv6 disabled while it is enslaved.
//
// Minimum links: the LAG's TAP has carrier only while at least MinLinks
// members are collecting and distributing (TUNSETCARRIER); VLAN TAPs follow
// their parent's carrier. Without carrier the LAG sends nothing and the
// TAPs' neighbours are forgotten at once, as the kernel does for a bond and
// its VLANs (for a TAP it does so only at its link watch's next run).
//
// A Host watches its namespace's links (rtnetlink): a member's link going
// down or up reaches the LACP engine, and a member or VLAN trunk port deleted
// and made again under its name has its socket rebound to the new interface.
// With LAGConfig.LinkMonitor the LAG looks at its members' links only on
// that period, as a Linux bond's miimon does.
//
// A LAG runs the standard's event-driven LACP by default; LAGConfig's Tick,
// SelectionDelay and LinkMonitor make it time its LACP as a Linux bond does
// (100 ms ticks, a transmission every third tick, the 8 s selection timer,
// miimon 100), which the Backend does for every LAG unless told otherwise
// (Backend.SetTimers): so the data plane's two backends agree.
//
// Where the kernel has no netem, a port may be impaired instead
// (Host.SetImpairment): every frame the Host sends out of it, LACPDUs
// included, is lost at random or held for a delay first.
//
// A Host given Config.OnCheckpoint hands its work over from one process to
// the next: its TAPs are persistent (TUNSETPERSIST) and stay, with their
// addresses and routes, when the process stops (Detach) or dies; its
// checkpoint (LAGs, members and their LACP port numbers, each engine's
// state, VLANs) goes to the callback as it changes; and a new Host adopts
// the TAPs and resumes the engines from it (Resume), so members collecting
// and distributing carry on without renegotiating. Deleting a LAG or VLAN,
// and Close, remove the TAPs.
//
// A Host serves one namespace; the DX endpoint's side and the customer
// router's side are two Hosts. Host knows nothing of Direct Connect: the
// topology package maps its objects onto it.
package userspace
