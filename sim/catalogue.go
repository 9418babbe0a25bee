package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Location is a Direct Connect location: a colocation facility with AWS
// devices in it.
type Location struct {
	Code             string   `json:"locationCode"`
	Name             string   `json:"locationName"`
	Region           string   `json:"region"`
	PortSpeeds       []string `json:"availablePortSpeeds"`
	MACsecPortSpeeds []string `json:"availableMacSecPortSpeeds"`
	Providers        []string `json:"availableProviders"`
	// Devices are the AWS devices (DX endpoints) in the location. New
	// connections and LAGs are placed on them in turn.
	Devices []string `json:"devices"`
}

// Catalogue is the set of locations the simulator offers.
type Catalogue struct {
	Locations []Location `json:"locations"`
	// VirtualGateways are the virtual private gateways DescribeVirtualGateways
	// lists (see vgw.go).
	VirtualGateways []VirtualGateway `json:"virtualGateways,omitempty"`
}

// Location returns the location with the given code.
func (c *Catalogue) Location(code string) (Location, bool) {
	for _, l := range c.Locations {
		if l.Code == code {
			return l, true
		}
	}
	return Location{}, false
}

// InRegion returns the locations in a region.
func (c *Catalogue) InRegion(region string) []Location {
	var out []Location
	for _, l := range c.Locations {
		if l.Region == region {
			out = append(out, l)
		}
	}
	return out
}

// Validate checks that every location is usable: a code, a region, port
// speeds AWS offers, and at least two devices.
func (c *Catalogue) Validate() error {
	seen := map[string]bool{}
	for _, l := range c.Locations {
		switch {
		case l.Code == "" || l.Region == "":
			return fmt.Errorf("catalogue: location %q needs a locationCode and a region", l.Code)
		case seen[l.Code]:
			return fmt.Errorf("catalogue: location %q appears twice", l.Code)
		case len(l.Devices) < 2:
			return fmt.Errorf("catalogue: location %s has %d devices, want at least 2", l.Code, len(l.Devices))
		case len(l.PortSpeeds) == 0:
			return fmt.Errorf("catalogue: location %s has no port speeds", l.Code)
		}
		seen[l.Code] = true
		for _, s := range append(slices.Clone(l.PortSpeeds), l.MACsecPortSpeeds...) {
			if _, ok := bandwidthGbps[s]; !ok {
				return fmt.Errorf("catalogue: location %s: port speed %q is not one of 1Gbps, 10Gbps, 100Gbps, 400Gbps", l.Code, s)
			}
		}
	}
	return c.validateVirtualGateways()
}

// LoadCatalogue reads a catalogue from a JSON file of the form
// {"locations":[{"locationCode":…,"region":…,"availablePortSpeeds":[…],"devices":[…]}]}.
func LoadCatalogue(path string) (*Catalogue, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalogue: %w", err)
	}
	var c Catalogue
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("parsing catalogue %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DefaultCatalogue returns the built-in catalogue: a few real Direct Connect
// locations, each with two or three devices, and three virtual private
// gateways in each of their Regions.
func DefaultCatalogue() *Catalogue {
	all := []string{"1Gbps", "10Gbps", "100Gbps", "400Gbps"}
	macsec := []string{"10Gbps", "100Gbps", "400Gbps"}
	providers := []string{"Equinix, Inc.", "Megaport", "Zayo"}
	return &Catalogue{Locations: []Location{
		{Code: "EqDC2", Name: "Equinix DC1-DC6, DC10-DC11, Ashburn, VA", Region: "us-east-1",
			PortSpeeds: all, MACsecPortSpeeds: macsec, Providers: providers,
			Devices: []string{"EqDC2-4h6ce2r1bes6", "EqDC2-2bn9gtz8gqa4", "EqDC2-1v0qvbdu9y8m"}},
		{Code: "CSVA1", Name: "CoreSite VA1, Reston, VA", Region: "us-east-1",
			PortSpeeds: all, MACsecPortSpeeds: macsec, Providers: providers[1:],
			Devices: []string{"CSVA1-23u0ctkn8lsdw", "CSVA1-3ghbu6f1hkg0l"}},
		{Code: "EqSE2", Name: "Equinix SE2, Seattle, WA", Region: "us-west-2",
			PortSpeeds: all, MACsecPortSpeeds: macsec, Providers: providers,
			Devices: []string{"EqSE2-1ry4ktnzgchxr", "EqSE2-3ncdgjwpaqmee"}},
		{Code: "EqFA5", Name: "Equinix FR5, Frankfurt, DEU", Region: "eu-central-1",
			PortSpeeds: all, MACsecPortSpeeds: macsec, Providers: providers,
			Devices: []string{"EqFA5-2jlpw8y7xkqav", "EqFA5-1tmbmjh2r3hoq"}},
	}, VirtualGateways: defaultVirtualGateways()}
}

// bandwidthGbps are the dedicated port speeds AWS sells.
var bandwidthGbps = map[string]int{"1Gbps": 1, "10Gbps": 10, "100Gbps": 100, "400Gbps": 400}

// hostedBandwidths are the speeds a hosted connection may have.
var hostedBandwidths = []string{"50Mbps", "100Mbps", "200Mbps", "300Mbps", "400Mbps", "500Mbps",
	"1Gbps", "2Gbps", "5Gbps", "10Gbps", "25Gbps"}
