package topology

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNamerParsesOnlyItsOwn(t *testing.T) {
	t.Parallel()
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
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, dev, ok := n.parse(tt.name)
			assert.Equal(t, tt.role, r, "parse(%q) role", tt.name)
			assert.Equal(t, tt.dev, dev, "parse(%q) device", tt.name)
			assert.Equal(t, tt.ok, ok, "parse(%q) ok", tt.name)
		})
	}
	assert.Equal(t, "dxsim-lab1-dx-d1", n.ns(roleDevice, "d1"), "ns")
}

func TestCheckIfName(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"dxcon-abcd1234", "dxlag-ffffffff", "x"} {
		t.Run("accepts "+strconv.Quote(ok), func(t *testing.T) {
			t.Parallel()
			assert.NoError(t, checkIfName(ok), "checkIfName(%q)", ok)
		})
	}
	for _, bad := range []string{"", "dxcon-abcd12345678", "a/b", "a:b", "a b"} {
		t.Run("refuses "+strconv.Quote(bad), func(t *testing.T) {
			t.Parallel()
			assert.Error(t, checkIfName(bad), "checkIfName(%q) accepted", bad)
		})
	}
}

func TestCheckPrefix(t *testing.T) {
	t.Parallel()
	assert.NoError(t, checkPrefix("dxsim-lab"))
	for _, bad := range []string{"lab", "dxsim/x", ""} {
		t.Run("refuses "+strconv.Quote(bad), func(t *testing.T) {
			t.Parallel()
			assert.Error(t, checkPrefix(bad), "checkPrefix(%q) accepted", bad)
		})
	}
}

func TestSystemMACIsStableUnicastAndPerSide(t *testing.T) {
	t.Parallel()
	a1, a2 := systemMAC(roleDevice, "dev1"), systemMAC(roleDevice, "dev1")
	c := systemMAC(roleRouter, "dev1")
	o := systemMAC(roleDevice, "dev2")
	require.Equal(t, a1.String(), a2.String(), "not stable")
	require.NotEqual(t, a1.String(), c.String(), "not distinct: aws %s customer %s", a1, c)
	require.NotEqual(t, a1.String(), o.String(), "not distinct: aws %s other device %s", a1, o)
	assert.Zero(t, a1[0]&0x01, "%s is not a unicast address", a1)
	assert.NotZero(t, a1[0]&0x02, "%s is not a locally administered address", a1)
}
