// Package afpacket is a Linux AF_PACKET socket opened inside a chosen network
// namespace: bound to one interface or to all of them, filtered in the kernel
// by a classic BPF program attached before the socket sees its first frame,
// and read through the Go runtime's poller so that Close and read deadlines
// unblock a pending read.
//
// Each frame comes with what the kernel knows of it: the interface it passed,
// its direction (PACKET_OUTGOING or received), a kernel receive timestamp and
// the 802.1Q tag the kernel stripped into metadata (PACKET_AUXDATA), which
// callers must put back themselves if they forward the frame, and on request
// the frame's virtio_net_hdr (PACKET_VNET_HDR): the checksum or segmentation
// the kernel still owes it.
//
// topology/capture records LACPDUs with it; topology/userspace moves a LAG's data
// frames with it.
package afpacket
