// Package observe turns one associate or disassociate into a timeline of
// what happened on the links, and measures the interruption.
//
// An Observer wraps a sim.DataPlane. Its MovePort starts an
// LACP capture on the connection's DX-side port and a probe across the
// connection (lacp/capture, topology/probe) before the port goes down, call
// the wrapped data plane, and keep watching until the member has converged
// and probe frames flow again. Link events from both sides, the step times
// of the attach, the LACP timeline the verifier reads from the capture
// (lacp/verify) and the probe's lost sequence numbers become a Report:
// milestones in order, from the request being accepted to the first probe
// frame delivered again, the interruption, and whether the probe and the
// LACP timeline agree on the outage.
//
// Two views of one outage: the probe's frames cross the connection from the
// customer router and count only once the DX side's LAG takes them in, so
// the probe's outage ends when the DX side starts collecting on the member;
// the LACP timeline says when that side announced it did. They agree when
// the two are within AgreeWithin.
package observe
