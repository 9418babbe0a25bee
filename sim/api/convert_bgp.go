package api

import (
	"fmt"

	"github.com/dxsim/dxsim/sim"
)

// toBGPPeers reports a VIF's BGP peers with their provisioning state and
// session status.
func toBGPPeers(v *sim.VIF) []BGPPeer {
	peers := v.BGPPeers()
	out := make([]BGPPeer, len(peers))
	for i, p := range peers {
		out[i] = BGPPeer{
			BgpPeerId: p.ID, Asn: i32(int(shortASN(p.ASN))), AsnLong: ptr(p.ASN), AuthKey: p.AuthKey,
			AddressFamily: p.AddressFamily, AmazonAddress: p.AmazonAddress, CustomerAddress: p.CustomerAddress,
			BgpPeerState: p.State, BgpStatus: v.BGPStatus(p), AwsDeviceV2: v.Device, AwsLogicalDeviceId: logicalDevice(v.Device),
		}
	}
	return out
}

// shortASN is asn as the 32-bit asn member reports it: 0 when it does not fit.
func shortASN(asn int64) int64 {
	if asn <= 2147483646 {
		return asn
	}
	return 0
}

func toTest(f *sim.FailoverTest) VirtualInterfaceTestHistory {
	out := VirtualInterfaceTestHistory{
		TestId: f.ID, VirtualInterfaceId: f.VIFID, BgpPeers: f.Peers, Status: f.Status, OwnerAccount: f.Owner,
		TestDurationInMinutes: i32(f.Minutes), StartTime: NewTimestamp(f.Start),
	}
	if !f.End.IsZero() {
		out.EndTime = NewTimestamp(f.End)
	}
	return out
}

// testKey orders failover tests by start, then ID, for paging.
func testKey(f *sim.FailoverTest) string {
	return fmt.Sprintf("%020d/%s", f.Start.UnixNano(), f.ID)
}
