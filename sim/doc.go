// Package sim is the simulated AWS Direct Connect control plane: the model
// (locations, devices, connections, LAGs, virtual interfaces with their BGP
// peers and failover tests, hosted virtual interfaces, virtual private
// gateways, Direct Connect gateways with their associations and proposals,
// router configurations, LOA-CFA letters, customer agreements), the rules
// AWS enforces on them, and the state they live in: every mutation is an
// operation that validates, then commits the state together with the
// data-plane effects it implies as a durable intent (intent.go). Deleted
// objects are still described for a while, as AWS does (gone.go).
//
// sim runs without root and imports nothing of the data plane: what it
// needs from real links it asks of a DataPlane (dataplane.go), which the
// topology package implements on the kernel and simtest fakes. Its
// subpackages serve it: api (the AWS JSON 1.1 API and STS), dxapi (dxsim's
// own API), boltstore (durable state), bus (typed fan-out), lab (lab
// files), loa (the LOA-CFA PDF) and simtest.
package sim
