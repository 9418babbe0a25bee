// Package probe measures an outage as the data plane sees it: a sender in the
// customer router's namespace puts sequence-numbered Ethernet frames on a
// connection's port at a steady rate (1,000 a second by default), and a
// receiver in the DX endpoint's namespace records which of them arrive, when,
// and on which interface. Frames carry dxsim's probe EtherType (IEEE's local
// experimental 0x88B5), so no address needs configuring and nothing else in
// the namespace answers them.
//
// The receiver counts a frame only when it arrives on an interface it has
// been told to accept: the connection's port while it is standalone, the
// LAG's interface once it is a member. A LAG's interface passes a member's
// frames only while that member is collecting, so the probe sees a member's
// outage end exactly when the DX side starts collecting, independently of
// what the LACPDUs say.
//
// Lost sequence numbers give the outage: Result.Outage is the longest run of
// frames that did not arrive, from the last frame delivered before it to the
// first delivered after it.
//
// The routed probe (StartRouted) measures the same at layer 3, end to end:
// UDP from a customer network's address to a VPC's, echoed back, over
// whatever path BGP and the Region's routing choose (see routed.go).
package probe
