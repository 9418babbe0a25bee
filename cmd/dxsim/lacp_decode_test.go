package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

const sharedCapture = "../../lacp/testdata/linux-bond-fast-3members.pcap"

func runDxsim(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("dxsim %v: %v", args, err)
	}
	return out.String()
}

func TestLACPDecodeTable(t *testing.T) {
	out := runDxsim(t, "lacp", "decode", sharedCapture)
	for _, want := range []string{
		`(?m)^local system +da:c8:69:c7:5b:2d \(inferred`,
		`(?m)^port 1 +15/1 +15/1 +1\.569 +9\.760 +8\.191s$`,
		`(?m)^port 2 +15/2 +15/2 +9\.977 +12\.296 +2\.319s$`,
		`(?m)^port 3 +15/3 +15/3 +12\.612 +15\.140 +2\.528s$`,
		`(?m)^3\.764 +local +sync +\*\*\*\*SGSA \(0x0f\)$`,
		`(?m)^issues: none$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
}

func TestLACPDecodeJSON(t *testing.T) {
	var r struct {
		Local  string `json:"local_system"`
		Remote string `json:"remote_system"`
		Ports  []struct {
			Name           string   `json:"name"`
			ConvergedAfter *float64 `json:"converged_after"`
			Events         []struct {
				T     float64 `json:"t"`
				Side  string  `json:"side"`
				Event string  `json:"event"`
			} `json:"events"`
		} `json:"ports"`
		Issues []any `json:"issues"`
	}
	out := runDxsim(t, "lacp", "decode", "--json", "--local", "da:c8:69:c7:5b:2d", "--key", "15", sharedCapture)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.Local != "da:c8:69:c7:5b:2d" || r.Remote != "3a:d9:7b:8a:c4:84" || len(r.Ports) != 3 || len(r.Issues) != 0 {
		t.Fatalf("report %+v", r)
	}
	for i, want := range []float64{8.191077, 2.318915, 2.528264} {
		p := r.Ports[i]
		if p.ConvergedAfter == nil || *p.ConvergedAfter != want {
			t.Errorf("%s converged_after = %v, want %v", p.Name, p.ConvergedAfter, want)
		}
		last := p.Events[len(p.Events)-1]
		if last.Event != "usable both ways" || last.Side != "both" {
			t.Errorf("%s last event %+v", p.Name, last)
		}
	}
}

func TestLACPDecodeErrors(t *testing.T) {
	for _, args := range [][]string{
		{"lacp", "decode", "no-such-file.pcap"},
		{"lacp", "decode", "--local", "not-a-mac", sharedCapture},
		{"lacp", "decode", "lacp_decode_test.go"},
	} {
		root := newRootCmd()
		root.SetOut(&bytes.Buffer{})
		root.SetArgs(args)
		if err := root.Execute(); err == nil {
			t.Errorf("dxsim %v succeeded", args)
		}
	}
}

func TestLACPDecodeReportsWrongKey(t *testing.T) {
	out := runDxsim(t, "lacp", "decode", "--key", "16", sharedCapture)
	if !regexp.MustCompile(`(?m)^issues: 3$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^1\.569 +port 1 +local +keys differ across the LAG: key 15, but the LAG's key is 16 \(1 times\)$`).MatchString(out) {
		t.Errorf("--key 16 on a LAG with key 15:\n%s", out)
	}
}
