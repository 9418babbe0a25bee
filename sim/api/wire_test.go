package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimestamp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t    time.Time
		wire string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 250e6), "1700000000.250"},
	} {
		t.Run(tc.wire, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(Timestamp{tc.t})
			require.NoError(t, err, "marshal %v", tc.t)
			assert.Equal(t, tc.wire, string(b), "marshal %v", tc.t)
			var back Timestamp
			require.NoError(t, json.Unmarshal(b, &back), "unmarshal %s", b)
			assert.True(t, back.Equal(tc.t), "unmarshal %s = %v, want %v", b, back.Time, tc.t)
		})
	}
	var ts Timestamp
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &ts), "a string timestamp was accepted")
}

func TestEmptyListsAreSent(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal(Connections{Connections: []Connection{}})
	assert.Equal(t, `{"connections":[]}`, string(b), "empty describe")
	b, _ = json.Marshal(Connection{ConnectionId: "dxcon-aaaaaaaa"})
	assert.Equal(t, `{"connectionId":"dxcon-aaaaaaaa"}`, string(b), "connection without tags")
}
