package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
	"github.com/dxsim/dxsim/sim/simtest"
)

// BenchmarkDescribeConnections1000 serves DescribeConnections over 1,000
// connections through the handler (decode, service, encode), all in one
// response and as the first page of 100.
func BenchmarkDescribeConnections1000(b *testing.B) {
	svc, err := sim.New(sim.Config{Clock: simtest.NewClock(), Schedule: &testSchedule})
	require.NoError(b, err)
	defer svc.Close()
	for range 1000 {
		_, err := svc.CreateConnection(ctx, api.DefaultAccount, sim.CreateConnectionInput{Location: "EqDC2", Bandwidth: "10Gbps", Name: "c"})
		require.NoError(b, err)
	}
	h := api.NewHandler(svc, api.Options{})
	for _, bc := range []struct{ name, body string }{{"all", `{}`}, {"page100", `{"maxResults":100}`}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(bc.body))
				req.Header.Set("X-Amz-Target", "OvertureService.DescribeConnections")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
