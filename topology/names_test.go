package topology

import (
	"testing"
)

func TestNamerParsesOnlyItsOwn(t *testing.T) {
	n := namer{prefix: "dxsim-lab1"}
	tests := []struct {
		name string
		role role
		dev  string
		ok   bool
	}{
		{"dxsim-lab1-dx-EqDC2-4h6ce2r1bes6", roleDevice, "EqDC2-4h6ce2r1bes6", true},
		{"dxsim-lab1-cr-EqDC2-4h6ce2r1bes6", roleRouter, "EqDC2-4h6ce2r1bes6", true},
		{"dxsim-lab2-dx-EqDC2", "", "", false},
		{"dxsim-dx-EqDC2", "", "", false},
		{"dxsim-lab1-dx-", "", "", false},
		{"dxsim-lab1-xx-dev", "", "", false},
		{"dxsim-test-0a1b2c3d", "", "", false},
	}
	for _, tt := range tests {
		r, dev, ok := n.parse(tt.name)
		if r != tt.role || dev != tt.dev || ok != tt.ok {
			t.Errorf("parse(%q) = %q, %q, %v; want %q, %q, %v", tt.name, r, dev, ok, tt.role, tt.dev, tt.ok)
		}
	}
	if got := n.ns(roleDevice, "d1"); got != "dxsim-lab1-dx-d1" {
		t.Errorf("ns = %q", got)
	}
}

func TestCheckIfName(t *testing.T) {
	for _, ok := range []string{"dxcon-abcd1234", "dxlag-ffffffff", "x"} {
		if err := checkIfName(ok); err != nil {
			t.Errorf("checkIfName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "dxcon-abcd12345678", "a/b", "a:b", "a b"} {
		if err := checkIfName(bad); err == nil {
			t.Errorf("checkIfName(%q) accepted", bad)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	if err := checkPrefix("dxsim-lab"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"lab", "dxsim/x", ""} {
		if checkPrefix(bad) == nil {
			t.Errorf("checkPrefix(%q) accepted", bad)
		}
	}
}

func TestSystemMACIsStableUnicastAndPerSide(t *testing.T) {
	a1, a2 := systemMAC(roleDevice, "dev1"), systemMAC(roleDevice, "dev1")
	c := systemMAC(roleRouter, "dev1")
	o := systemMAC(roleDevice, "dev2")
	if a1.String() != a2.String() {
		t.Fatalf("not stable: %s %s", a1, a2)
	}
	if a1.String() == c.String() || a1.String() == o.String() {
		t.Fatalf("not distinct: aws %s customer %s other device %s", a1, c, o)
	}
	if a1[0]&0x01 != 0 || a1[0]&0x02 == 0 {
		t.Fatalf("%s is not a locally administered unicast address", a1)
	}
}
