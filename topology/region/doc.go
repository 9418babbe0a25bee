// Package region runs the routed Amazon side behind the DX devices: it
// turns the control plane's address spaces (sim.Service.Routing: VPCs,
// transit gateways' prefixes, what each VIF reaches) and what Amazon's side
// of each VIF learned over BGP into the Region's routing, and has the data
// plane make it (topology.DataPlane.SetRegion).
//
// Amazon's choice of the VIF that carries a customer prefix back to the
// customer, per address space, is AWS's: the highest local preference the
// customer asked for with a community on the route (7224:7300 high,
// 7224:7200 medium, 7224:7100 low; a route without one counts as medium),
// then the shortest AS path; where those tie, AWS spreads flows over the
// VIFs, and dxsim takes the VIF with the lowest ID so that the path is
// known. A session that goes down takes its routes with it at once, so the
// traffic moves to the next best VIF as soon as the withdrawal is seen.
package region
