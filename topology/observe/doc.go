// Package observe turns one associate or disassociate into a timeline of
// what happened on the links, and measures the interruption.
//
// An Observer subscribes to the data plane: its move hook, told of each move
// before the port goes down (with the operation and request time the control
// plane passed down), starts an LACP capture on the connection's DX-side
// port and a probe across the connection (topology/capture, topology/probe) and
// returns at once; when the move is over it keeps watching, off the data
// plane's path, until the member has converged and probe frames flow again.
// The data plane's link and LACP events reach it on the data plane's event
// bus. Link events from both sides, the step times of the move, the LACP
// timeline the verifier reads from the capture (lacp/verify) and the probe's
// lost sequence numbers become a sim.Interruption:
// milestones in order, from the request being accepted to the first probe
// frame delivered again, the interruption, and whether the probe and the
// LACP timeline agree on the outage. Milestones and finished reports go out
// to subscribers; dxsim serve keeps each report in the control plane's
// state. Nothing here calls the control plane.
//
// Two views of one outage: the probe's frames cross the connection from the
// customer router and count only once the DX side's LAG takes them in, so
// the probe's outage ends when the DX side starts collecting on the member;
// the LACP timeline says when that side announced it did. They agree when
// the two are within AgreeWithin.
package observe
