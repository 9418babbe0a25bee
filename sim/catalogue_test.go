package sim

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadCatalogue(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"locations":[{"locationCode":"LAB1","locationName":"Lab","region":"us-east-1",
		"availablePortSpeeds":["1Gbps","10Gbps"],"availableMacSecPortSpeeds":["10Gbps"],"availableProviders":["Lab"],
		"devices":["LAB1-aaaa","LAB1-bbbb"]}]}`)
	cat, err := LoadCatalogue(good)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := cat.Location("LAB1"); !ok || len(l.Devices) != 2 || len(cat.InRegion("us-east-1")) != 1 {
		t.Errorf("loaded %+v", cat)
	}
	for name, body := range map[string]string{
		"one-device.json": `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d"]}]}`,
		"bad-speed.json":  `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["3Gbps"],"devices":["d","e"]}]}`,
		"twice.json":      `{"locations":[{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]},{"locationCode":"X","region":"r","availablePortSpeeds":["1Gbps"],"devices":["d","e"]}]}`,
		"not-json.json":   `locations: []`,
	} {
		if _, err := LoadCatalogue(write(name, body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadCatalogue(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file accepted")
	}
}
