// Package sim is the simulated AWS Direct Connect control plane: the model
// (locations, devices, connections, LAGs, virtual interfaces with their BGP
// peers and failover tests, hosted virtual interfaces, virtual private
// gateways, Direct Connect gateways with their associations and proposals,
// router configurations), the rules AWS
// enforces on them, the AWS JSON 1.1 API that real clients speak, and the
// durable store behind it.
//
// sim runs without root. Everything it needs from real links it asks of a
// DataPlane (see dataplane.go), which the topology package implements on the
// kernel and tests replace with a fake.
package sim
