package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dx "github.com/aws/aws-sdk-go-v2/service/directconnect"
	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim/dxapi"
)

// clientFlags are the flags of the commands that talk to a running
// `dxsim serve`.
type clientFlags struct {
	endpoint string
	region   string
}

func (f *clientFlags) register(c *cobra.Command) {
	def := os.Getenv("DXSIM_ENDPOINT")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	c.Flags().StringVar(&f.endpoint, "endpoint", def, "the dxsim serve to talk to ($DXSIM_ENDPOINT)")
	c.Flags().StringVar(&f.region, "region", "us-east-1", "the Region the endpoint answers for")
}

// directConnect is an AWS SDK client of the endpoint. It signs with the
// environment's AWS credentials, or with placeholder ones, which a serve
// without --auth sigv4 accepts.
func (f *clientFlags) directConnect() *dx.Client {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		id, secret = "dxsim", "dxsim"
	}
	return dx.New(dx.Options{
		Region:       f.region,
		BaseEndpoint: aws.String(f.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")),
	})
}

// events follows the endpoint's event stream (only id's events, when id is
// set) and delivers each event to fn until fn returns false, the stream ends
// or ctx does.
func (f *clientFlags) events(ctx context.Context, id string, opened func(), fn func(dxapi.Event, []byte) bool) error {
	u := strings.TrimSuffix(f.endpoint, "/") + dxapi.Prefix + "events"
	if id != "" {
		u += "?id=" + url.QueryEscape(id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("following events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("following events: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	if opened != nil {
		opened()
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e dxapi.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("event %q: %w", sc.Text(), err)
		}
		if !fn(e, sc.Bytes()) {
			return nil
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("following events: %w", err)
	}
	return ctx.Err()
}

// formatEvent is one event as a line for a person.
func formatEvent(e dxapi.Event) string {
	ts := e.Time.Local().Format("15:04:05.000")
	switch e.Type {
	case dxapi.TypeState:
		from := e.From
		if from == "" {
			from = "(new)"
		}
		return fmt.Sprintf("%s  state      %-15s %s -> %s", ts, e.ID, from, e.To)
	case dxapi.TypeMilestone:
		t := 0.0
		if e.TMS != nil {
			t = *e.TMS
		}
		return fmt.Sprintf("%s  milestone  %-15s %s %+9.1f ms  %s", ts, e.ID, e.Op, t, e.Milestone)
	case dxapi.TypeFault:
		if e.Fault == nil {
			break
		}
		return fmt.Sprintf("%s  fault      %-15s %s: %s", ts, e.ID, e.Action, e.Fault)
	case dxapi.TypeInterruption:
		r := e.Report
		return fmt.Sprintf("%s  report     %-15s %s -> %s: interruption %s, probe outage %s, LACP converged %s, pcap %s",
			ts, e.ID, r.Op, r.LAGID, strings.TrimSpace(msOr(r.InterruptionMS)), strings.TrimSpace(msOr(r.ProbeOutageMS)),
			strings.TrimSpace(msOr(r.LACPConvergedMS)), r.Pcap)
	}
	return fmt.Sprintf("%s  %s %s", ts, e.Type, e.ID)
}
