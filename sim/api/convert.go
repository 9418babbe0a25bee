package api

import (
	"sync"

	"github.com/dxsim/dxsim/sim"
)

func ptr[T any](v T) *T { return &v }

// The booleans every described object carries, shared: the encoders only
// read them, and a describe of 1,000 connections then allocates none.
var (
	trueValue  = true
	falseValue = false
)

// boolPtr returns a shared pointer to v (never to be written through).
func boolPtr(v bool) *bool {
	if v {
		return &trueValue
	}
	return &falseValue
}

func i32(n int) *int32 { v := int32(n); return &v }

func toTags(ts []sim.Tag) []Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]Tag, len(ts))
	for i, t := range ts {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func fromTags(ts []Tag) []sim.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]sim.Tag, len(ts))
	for i, t := range ts {
		out[i] = sim.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func toKeys(ks []sim.MACsecKey) []MacSecKey {
	if len(ks) == 0 {
		return nil
	}
	out := make([]MacSecKey, len(ks))
	for i, k := range ks {
		out[i] = MacSecKey{SecretARN: k.SecretARN, Ckn: k.CKN, State: k.State, StartOn: k.StartOn}
	}
	return out
}

// logicalDevices holds each device's logical ID, made once: a location has
// a handful of devices, and every described object names one.
var logicalDevices sync.Map

// logicalDevice is the logical device ID AWS reports beside awsDeviceV2.
func logicalDevice(device string) string {
	if device == "" {
		return "-logical"
	}
	if v, ok := logicalDevices.Load(device); ok {
		return v.(string)
	}
	v, _ := logicalDevices.LoadOrStore(device, device+"-logical")
	return v.(string)
}

func portEncryption(c *sim.Connection) string {
	switch {
	case !c.MACsecCapable:
		return ""
	case c.EncryptionDown || c.Encryption == sim.EncryptNo:
		return "Encryption Down"
	}
	return "Encryption Up"
}

func toConnection(c *sim.Connection) Connection {
	var out Connection
	fillConnection(&out, c, new(Timestamp))
	return out
}

// fillConnection writes c's shape into out, its LOA time (if any) into loa.
func fillConnection(out *Connection, c *sim.Connection, loa *Timestamp) {
	var loaTime *Timestamp
	if !c.LOAIssueTime.IsZero() {
		*loa = Timestamp{c.LOAIssueTime}
		loaTime = loa
	}
	*out = Connection{
		OwnerAccount: c.Owner, ConnectionId: c.ID, ConnectionName: c.Name, ConnectionState: c.State,
		Region: c.Region, Location: c.Location, Bandwidth: c.Bandwidth, PartnerName: c.PartnerName,
		LoaIssueTime: loaTime, LagId: c.LAGID, AwsDevice: c.Device, AwsDeviceV2: c.Device,
		AwsLogicalDeviceId: logicalDevice(c.Device), JumboFrameCapable: boolPtr(true), HasLogicalRedundancy: "no",
		Tags: toTags(c.Tags), ProviderName: c.ProviderName, MacSecCapable: boolPtr(c.MACsecCapable),
		EncryptionMode: c.Encryption, MacSecKeys: toKeys(c.MACsecKeys),
		PortEncryptionStatus: portEncryption(c),
	}
	if c.Kind == sim.KindHosted {
		out.Vlan = i32(c.VLAN)
		out.PartnerInterconnectMacSecCapable = boolPtr(false)
	}
}

func toConnections(cs []*sim.Connection) []Connection {
	out := make([]Connection, len(cs))
	// One allocation for all the LOA times, not one each.
	times := make([]Timestamp, len(cs))
	for i, c := range cs {
		fillConnection(&out[i], c, &times[i])
	}
	return out
}

func toInterconnect(c *sim.Connection) Interconnect {
	return Interconnect{
		InterconnectId: c.ID, InterconnectName: c.Name, InterconnectState: c.State, Region: c.Region,
		Location: c.Location, Bandwidth: c.Bandwidth, LoaIssueTime: NewTimestamp(c.LOAIssueTime), LagId: c.LAGID,
		AwsDevice: c.Device, AwsDeviceV2: c.Device, AwsLogicalDeviceId: logicalDevice(c.Device),
		JumboFrameCapable: boolPtr(true), HasLogicalRedundancy: "no", Tags: toTags(c.Tags), ProviderName: c.ProviderName,
		MacSecCapable: boolPtr(c.MACsecCapable), EncryptionMode: c.Encryption, MacSecKeys: toKeys(c.MACsecKeys),
		PortEncryptionStatus: portEncryption(c),
	}
}

func toLag(v sim.LAGView) Lag {
	l := v.LAG
	return Lag{
		ConnectionsBandwidth: l.Bandwidth, NumberOfConnections: i32(len(v.Members)), LagId: l.ID,
		OwnerAccount: l.Owner, LagName: l.Name, LagState: l.State, Location: l.Location, Region: l.Region,
		MinimumLinks: i32(l.MinimumLinks), AwsDevice: l.Device, AwsDeviceV2: l.Device,
		AwsLogicalDeviceId: logicalDevice(l.Device), Connections: toConnections(v.Members),
		AllowsHostedConnections: ptr(l.AllowsHostedConnections), JumboFrameCapable: boolPtr(true),
		HasLogicalRedundancy: "no", Tags: toTags(l.Tags), ProviderName: l.ProviderName,
		MacSecCapable: boolPtr(l.MACsecCapable), EncryptionMode: l.Encryption, MacSecKeys: toKeys(l.MACsecKeys),
	}
}

func toVIF(v *sim.VIF) VirtualInterface {
	out := VirtualInterface{
		OwnerAccount: v.Owner, VirtualInterfaceId: v.ID, Location: v.Location, ConnectionId: v.ConnectionID,
		VirtualInterfaceType: v.Type, VirtualInterfaceName: v.Name, Vlan: i32(v.VLAN), AsnLong: ptr(v.ASN),
		AmazonSideAsn: ptr(v.AmazonSideASN), AuthKey: v.AuthKey, AmazonAddress: v.AmazonAddress,
		CustomerAddress: v.CustomerAddress, AddressFamily: v.AddressFamily, VirtualInterfaceState: v.State,
		Mtu: i32(v.MTU), JumboFrameCapable: boolPtr(true), VirtualGatewayId: v.VirtualGatewayID,
		DirectConnectGatewayId: v.DirectConnectGatewayID, Region: v.Region, Tags: toTags(v.Tags),
		SiteLinkEnabled: ptr(v.EnableSiteLink), AwsDeviceV2: v.Device, AwsLogicalDeviceId: logicalDevice(v.Device),
		BgpPeers: toBGPPeers(v),
	}
	// AWS reports asn as 0 when the ASN does not fit in it.
	if v.ASN <= 2147483646 {
		out.Asn = i32(int(v.ASN))
	} else {
		out.Asn = i32(0)
	}
	for _, p := range v.RouteFilterPrefixes {
		out.RouteFilterPrefixes = append(out.RouteFilterPrefixes, RouteFilterPrefix{Cidr: p})
	}
	return out
}

func toLocation(l sim.Location) Location {
	return Location{
		LocationCode: l.Code, LocationName: l.Name, Region: l.Region, AvailablePortSpeeds: l.PortSpeeds,
		AvailableProviders: l.Providers, AvailableMacSecPortSpeeds: l.MACsecPortSpeeds,
	}
}
