// Command apibench measures dxsim's Direct Connect API over HTTP, side by
// side with moto's server (the other emulator of Direct Connect) in one run,
// on this machine: requests a second for DescribeConnections over 1,000
// connections (one large response) and for DescribeConnections of one
// connection (a small request), with the same raw HTTP client, the same
// concurrency and keep-alive connections for both.
//
// dxsim runs in this process on the handler `dxsim serve` mounts (sim and
// sim/api, no data plane, no authentication), moto as `moto_server` when it
// is on the PATH (pip install 'moto[server]'); without it only dxsim is
// measured.
//
//	go run ./scripts/apibench [-n 1000] [-duration 5s] [-clients 4]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

func main() {
	n := flag.Int("n", 1000, "connections each server holds")
	dur := flag.Duration("duration", 5*time.Second, "how long each measurement runs")
	clients := flag.Int("clients", 4, "concurrent clients")
	flag.Parse()

	dx, stopDX, err := startDXSim()
	if err != nil {
		log.Fatal(err)
	}
	defer stopDX()
	targets := []target{{name: "dxsim", url: dx}}
	if moto, stop, err := startMoto(); err != nil {
		log.Printf("moto not measured: %v", err)
	} else {
		defer stop()
		targets = append(targets, target{name: "moto", url: moto})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	fmt.Printf("%d connections each, %d clients, %s per measurement\n\n", *n, *clients, *dur)
	fmt.Println("| server | DescribeConnections, all (req/s) | DescribeConnections, one (req/s) |")
	fmt.Println("|---|---|---|")
	var results [][2]float64
	for _, t := range targets {
		one, err := populate(client, t.url, *n)
		if err != nil {
			log.Fatalf("%s: %v", t.name, err)
		}
		all := measure(client, t.url, `{}`, *clients, *dur)
		small := measure(client, t.url, fmt.Sprintf(`{"connectionId":%q}`, one), *clients, *dur)
		results = append(results, [2]float64{all, small})
		fmt.Printf("| %s | %.0f | %.0f |\n", t.name, all, small)
	}
	if len(results) == 2 && results[1][0] > 0 && results[1][1] > 0 {
		fmt.Printf("| dxsim / moto | %.1f× | %.1f× |\n", results[0][0]/results[1][0], results[0][1]/results[1][1])
	}
}

type target struct{ name, url string }

// startDXSim serves the Direct Connect API on a loopback port, as `dxsim
// serve --dataplane none --auth none` does.
func startDXSim() (string, func(), error) {
	svc, err := sim.New(sim.Config{})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: api.NewHandler(svc, api.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close(); _ = svc.Close() }, nil
}

// startMoto runs moto_server on a free loopback port and waits until it
// answers.
func startMoto() (string, func(), error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", nil, errors.New("moto_server is not on the PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := call(http.DefaultClient, url, "DescribeConnections", `{}`); err == nil {
			return url, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("moto_server did not answer within 30s")
}

// call sends one Direct Connect request and returns its body; a status other
// than 200 is an error.
func call(c *http.Client, url, op, body string) ([]byte, error) {
	var out bytes.Buffer
	if err := send(c, url, op, body, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// send sends one Direct Connect request and copies its body to w; a status
// other than 200 is an error.
func send(c *http.Client, url, op, body string, w io.Writer) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", api.TargetPrefix+op)
	// moto routes by the credential scope's service, as AWS does.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/directconnect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0")
	req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", op, resp.StatusCode, msg)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// populate creates n connections and returns one's ID.
func populate(c *http.Client, url string, n int) (string, error) {
	var id string
	for i := range n {
		out, err := call(c, url, "CreateConnection", fmt.Sprintf(`{"location":"EqDC2","bandwidth":"10Gbps","connectionName":"bench-%d"}`, i))
		if err != nil {
			return "", err
		}
		var conn struct {
			ConnectionID string `json:"connectionId"`
		}
		if err := json.Unmarshal(out, &conn); err != nil {
			return "", err
		}
		id = conn.ConnectionID
	}
	return id, nil
}

// measure sends body as DescribeConnections from clients goroutines for d
// and returns the requests a second that succeeded.
func measure(c *http.Client, url, body string, clients int, d time.Duration) float64 {
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(end) {
				// Every byte is read and dropped: the client's cost is the
				// same for both servers, and small.
				if err := send(c, url, "DescribeConnections", body, io.Discard); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds()
}
