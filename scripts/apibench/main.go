// Command apibench measures dxsim's Direct Connect API over HTTP, side by
// side with moto's server (the other emulator of Direct Connect) in one run,
// on this machine: requests a second for DescribeConnections over 1,000
// connections (one large response) and for DescribeConnections of one
// connection (a small request), with the same raw HTTP client, the same
// concurrency and keep-alive connections for both.
//
// Each server runs in a process of its own, apart from the clients: dxsim as
// this command started again with -serve (the handler `dxsim serve` mounts:
// sim and sim/api, no data plane, no authentication; -inprocess serves it
// from the clients' process instead), moto as `moto_server` when it is on
// the PATH (pip install 'moto[server]'); without it only dxsim is measured.
// The servers are measured in turns, -rounds times, so that what else runs
// on the machine weighs on both alike: each round's ratio is printed, then
// the median and the spread.
//
//	go run ./scripts/apibench [-n 1000] [-duration 2s] [-rounds 5] [-clients 4] [-inprocess] [-cpuprofile dxsim.prof]
package main

import (
	"bufio"
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
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/sim/api"
)

func main() {
	n := flag.Int("n", 1000, "connections each server holds")
	dur := flag.Duration("duration", 2*time.Second, "how long each measurement runs")
	rounds := flag.Int("rounds", 5, "how many times each server is measured, in turns")
	clients := flag.Int("clients", 4, "concurrent clients")
	inProcess := flag.Bool("inprocess", false, "serve dxsim from the clients' process")
	serve := flag.Bool("serve", false, "serve dxsim and print its URL (how this command starts its server)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of dxsim's server process to this file")
	flag.Parse()
	if *serve {
		serveDXSim(*profile)
		return
	}

	var dx string
	var stopDX func()
	var err error
	if *inProcess {
		dx, stopDX, err = startDXSim()
		if err == nil && *profile != "" {
			stopDX, err = profiled(*profile, stopDX)
		}
	} else {
		dx, stopDX, err = startDXSimProcess(*profile)
	}
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
	for i := range targets {
		if targets[i].one, err = populate(client, targets[i].url, *n); err != nil {
			log.Fatalf("%s: %v", targets[i].name, err)
		}
	}
	fmt.Printf("%d connections each, %d clients, %d rounds of %s per measurement\n\n", *n, *clients, *rounds, *dur)
	fmt.Println("| round | server | DescribeConnections, all (req/s) | DescribeConnections, one (req/s) |")
	fmt.Println("|---|---|---|---|")
	var ratios [2][]float64 // dxsim / moto, per round: all, one
	for r := range *rounds {
		var res [][2]float64
		for _, t := range targets {
			all := measure(client, t.url, `{}`, *clients, *dur)
			one := measure(client, t.url, fmt.Sprintf(`{"connectionId":%q}`, t.one), *clients, *dur)
			res = append(res, [2]float64{all, one})
			fmt.Printf("| %d | %s | %.0f | %.0f |\n", r+1, t.name, all, one)
		}
		if len(res) == 2 && res[1][0] > 0 && res[1][1] > 0 {
			ratios[0] = append(ratios[0], res[0][0]/res[1][0])
			ratios[1] = append(ratios[1], res[0][1]/res[1][1])
			fmt.Printf("| %d | dxsim / moto | %.1f× | %.1f× |\n", r+1, ratios[0][r], ratios[1][r])
		}
	}
	if len(ratios[0]) > 0 {
		fmt.Printf("\ndxsim / moto over %d rounds: all %s, one %s (median, min–max)\n", len(ratios[0]), spread(ratios[0]), spread(ratios[1]))
	}
}

// spread writes the median and range of xs.
func spread(xs []float64) string {
	s := slices.Sorted(slices.Values(xs))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%.1f× (%.1f–%.1f×)", med, s[0], s[len(s)-1])
}

type target struct{ name, url, one string } // one: a connection's ID

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

// serveDXSim is the server process: it serves until stdin closes (the
// clients' process exited) or it is interrupted.
func serveDXSim(profile string) {
	url, stop, err := startDXSim()
	if err == nil && profile != "" {
		stop, err = profiled(profile, stop)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	fmt.Println(url)
	gone := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(gone) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-gone:
	case <-sig:
	}
}

// startDXSimProcess runs this command again as dxsim's server, so that the
// clients' goroutines and collector do not share its process (moto's server
// has its own too).
func startDXSimProcess(profile string) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-serve", "-cpuprofile", profile)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("dxsim's server process: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

// profiled starts a CPU profile to file and returns stop, extended to end
// the profile first.
func profiled(file string, stop func()) (func(), error) {
	f, err := os.Create(file)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		stop()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close(); stop() }, nil
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
			// Every byte is read and dropped, in large reads: the client's
			// cost is the same for both servers, and small (io.Discard
			// reads 8 KB at a time, 60 reads for the large describe).
			sink := &dropper{buf: make([]byte, 1<<20)}
			for time.Now().Before(end) {
				if err := send(c, url, "DescribeConnections", body, sink); err != nil {
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

// dropper reads and drops what is copied to it, through its own buffer.
type dropper struct{ buf []byte }

func (d *dropper) Write(p []byte) (int, error) { return len(p), nil }

func (d *dropper) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		m, err := r.Read(d.buf)
		n += int64(m)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
