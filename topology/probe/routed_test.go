package probe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutedCodec(t *testing.T) {
	sent := time.Unix(1700000000, 123456789)
	b := encodeRouted(make([]byte, routedLen), 7, 42, sent)
	run, seq, at, err := decodeRouted(b)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), run)
	assert.Equal(t, uint64(42), seq)
	assert.True(t, sent.Equal(at), "sent %v, decoded %v", sent, at)
	for name, bad := range map[string][]byte{
		"short":     b[:routedLen-1],
		"long":      append(append([]byte(nil), b...), 0),
		"not magic": append([]byte("dxsimXX1"), b[8:]...),
		"empty":     nil,
	} {
		_, _, _, err := decodeRouted(bad)
		assert.ErrorIs(t, err, errNotRouted, name)
	}
}

func FuzzDecodeRouted(f *testing.F) {
	f.Add(encodeRouted(make([]byte, routedLen), 1, 2, time.Unix(3, 4)))
	f.Add([]byte("dxsimrp1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		run, seq, sent, err := decodeRouted(b)
		if err != nil {
			return
		}
		again, _, _, _ := decodeRouted(encodeRouted(make([]byte, routedLen), run, seq, sent))
		assert.Equal(t, run, again)
	})
}
