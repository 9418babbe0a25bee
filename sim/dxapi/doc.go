// Package dxapi is dxsim's own HTTP API, served beside the Direct Connect API
// under /dxsim/v1/: what AWS does not show.
//
//	GET /dxsim/v1/events                       newline-delimited JSON, one Event a line,
//	                                           until the client goes (?id= follows one object)
//	GET /dxsim/v1/interruptions/{connectionId} the last associate or disassociate of a
//	                                           connection, as observed on the links
//
// Events are the control plane's state changes (a connection going down
// while it is interrupted and available once converged, a LAG following its
// minimum links), each milestone of an observed operation as it is reached,
// and the operation's finished report.
package dxapi
