package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestamp(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		wire string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 250e6), "1700000000.250"},
	} {
		b, err := json.Marshal(Timestamp{tc.t})
		if err != nil || string(b) != tc.wire {
			t.Errorf("marshal %v = %s, %v; want %s", tc.t, b, err, tc.wire)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.t) {
			t.Errorf("unmarshal %s = %v, %v", b, back.Time, err)
		}
	}
	var ts Timestamp
	if err := json.Unmarshal([]byte(`"yesterday"`), &ts); err == nil {
		t.Error("a string timestamp was accepted")
	}
}

func TestEmptyListsAreSent(t *testing.T) {
	b, _ := json.Marshal(Connections{Connections: []Connection{}})
	if string(b) != `{"connections":[]}` {
		t.Errorf("empty describe = %s", b)
	}
	b, _ = json.Marshal(Connection{ConnectionId: "dxcon-aaaaaaaa"})
	if string(b) != `{"connectionId":"dxcon-aaaaaaaa"}` {
		t.Errorf("connection without tags = %s", b)
	}
}
