package sim_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
)

// TestOpKindIsKeptByName: the state keeps an operation's kind as the name
// it always had ("associate"), so a state written before the kind was typed
// reads the same, and a name nobody wrote is refused.
func TestOpKindIsKeptByName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind sim.OpKind
		json string
	}{
		{sim.OpNone, `"none"`},
		{sim.OpAssociate, `"associate"`},
		{sim.OpDisassociate, `"disassociate"`},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.kind)
			require.NoError(t, err)
			assert.JSONEq(t, tc.json, string(b))
			var back sim.OpKind
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tc.kind, back)
		})
	}
	var old sim.AssociationRecord
	require.NoError(t, json.Unmarshal([]byte(`{"Op":"disassociate","ConnectionID":"dxcon-abcd1234"}`), &old))
	assert.Equal(t, sim.OpDisassociate, old.Op, "a record written before the kind was typed")
	var empty sim.OpKind
	require.NoError(t, json.Unmarshal([]byte(`""`), &empty))
	assert.Equal(t, sim.OpNone, empty)
	var bad sim.OpKind
	assert.Error(t, json.Unmarshal([]byte(`"reassociate"`), &bad))
	assert.Equal(t, "OpKind(9)", sim.OpKind(9).String())
}
