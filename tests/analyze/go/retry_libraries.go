// Command retry_libraries asks the real Go retry libraries for their waits and decisions.
//
// It reads cases as JSON on stdin and prints, for each, what the library computes:
// hashicorp/go-retryablehttp's DefaultBackoff, LinearJitterBackoff and DefaultRetryPolicy,
// and cenkalti/backoff v4's ExponentialBackOff driven by a fake clock (every attempt takes
// attempt_ns, every wait is slept exactly). Durations are integer nanoseconds. The test
// (test_retry_libraries_go.py) builds it against the Debian-packaged sources.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"time"

	backoff "github.com/cenkalti/backoff/v4"
	retryablehttp "github.com/hashicorp/go-retryablehttp"
)

type backoffCase struct {
	Min        int64  `json:"min_ns"`
	Max        int64  `json:"max_ns"`
	Retries    int    `json:"retries"`
	Status     int    `json:"status"` // 0: no response
	RetryAfter string `json:"retry_after"`
	Samples    int    `json:"samples"` // for the jittered backoff
}

type policyCase struct {
	Status   int    `json:"status"` // used when Error is empty
	Error    string `json:"error"`
	Unknown  bool   `json:"unknown_authority"`
	Canceled bool   `json:"canceled"`
}

type cenkaltiCase struct {
	Initial    int64   `json:"initial_ns"`
	Factor     float64 `json:"randomization_factor"`
	Multiplier float64 `json:"multiplier"`
	MaxInt     int64   `json:"max_interval_ns"`
	MaxElapsed int64   `json:"max_elapsed_ns"`
	Retries    int     `json:"retries"` // < 0: not wrapped in WithMaxRetries
	Attempt    int64   `json:"attempt_ns"`
	Samples    int     `json:"samples"` // 0: one run, exact delays
}

type request struct {
	Default  []backoffCase  `json:"default_backoff"`
	Linear   []backoffCase  `json:"linear_jitter"`
	Policy   []policyCase   `json:"retry_policy"`
	Cenkalti []cenkaltiCase `json:"cenkalti"`
}

type stats struct {
	Min  []int64   `json:"min"`
	Max  []int64   `json:"max"`
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
	Runs []int     `json:"runs"`
}

type reply struct {
	Default  [][]int64 `json:"default_backoff"`
	Linear   []stats   `json:"linear_jitter"`
	Policy   []bool    `json:"retry_policy"`
	Cenkalti []any     `json:"cenkalti"`
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func response(status int, retryAfter string) *http.Response {
	if status == 0 {
		return nil
	}
	resp := &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Header: http.Header{}}
	if retryAfter != "" {
		resp.Header.Set("Retry-After", retryAfter)
	}
	return resp
}

// collect accumulates per-index samples.
type collect struct {
	sum, sq  []float64
	min, max []int64
	n        []int
}

func (c *collect) add(i int, v int64) {
	for len(c.sum) <= i {
		c.sum, c.sq = append(c.sum, 0), append(c.sq, 0)
		c.min, c.max, c.n = append(c.min, math.MaxInt64), append(c.max, math.MinInt64), append(c.n, 0)
	}
	f := float64(v)
	c.sum[i] += f
	c.sq[i] += f * f
	c.n[i]++
	if v < c.min[i] {
		c.min[i] = v
	}
	if v > c.max[i] {
		c.max[i] = v
	}
}

func (c *collect) stats() stats {
	s := stats{Min: c.min, Max: c.max, Runs: c.n}
	for i := range c.sum {
		n := float64(c.n[i])
		mean := c.sum[i] / n
		s.Mean = append(s.Mean, mean)
		s.Std = append(s.Std, math.Sqrt(math.Max(c.sq[i]/n-mean*mean, 0)))
	}
	return s
}

func cenkaltiRun(c cenkaltiCase) []int64 {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	exp := &backoff.ExponentialBackOff{
		InitialInterval:     time.Duration(c.Initial),
		RandomizationFactor: c.Factor,
		Multiplier:          c.Multiplier,
		MaxInterval:         time.Duration(c.MaxInt),
		MaxElapsedTime:      time.Duration(c.MaxElapsed),
		Stop:                backoff.Stop,
		Clock:               clock,
	}
	var b backoff.BackOff = exp
	if c.Retries >= 0 {
		b = backoff.WithMaxRetries(exp, uint64(c.Retries))
	}
	b.Reset()
	var out []int64
	for len(out) < 100000 {
		clock.now = clock.now.Add(time.Duration(c.Attempt)) // the attempt that just failed
		next := b.NextBackOff()
		if next == backoff.Stop {
			break
		}
		out = append(out, int64(next))
		clock.now = clock.now.Add(next) // the wait
	}
	return out
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var rep reply
	for _, c := range req.Default {
		var waits []int64
		resp := response(c.Status, c.RetryAfter)
		for i := 0; i < c.Retries; i++ { // Client.Do waits with attemptNum = 0 .. RetryMax-1
			waits = append(waits, int64(retryablehttp.DefaultBackoff(time.Duration(c.Min), time.Duration(c.Max), i, resp)))
		}
		rep.Default = append(rep.Default, waits)
	}
	for _, c := range req.Linear {
		var acc collect
		for s := 0; s < c.Samples; s++ {
			for i := 0; i < c.Retries; i++ {
				acc.add(i, int64(retryablehttp.LinearJitterBackoff(time.Duration(c.Min), time.Duration(c.Max), i, nil)))
			}
		}
		rep.Linear = append(rep.Linear, acc.stats())
	}
	for _, c := range req.Policy {
		ctx, cancel := context.WithCancel(context.Background())
		if c.Canceled {
			cancel()
		}
		var resp *http.Response
		var err error
		switch {
		case c.Unknown:
			err = &url.Error{Op: "Get", URL: "https://127.0.0.1/", Err: x509.UnknownAuthorityError{}}
		case c.Error != "":
			err = &url.Error{Op: "Get", URL: "https://127.0.0.1/", Err: errors.New(c.Error)}
		default:
			resp = response(c.Status, "")
			if resp == nil {
				resp = &http.Response{StatusCode: 0, Header: http.Header{}}
			}
		}
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		cancel()
		rep.Policy = append(rep.Policy, retry)
	}
	for _, c := range req.Cenkalti {
		if c.Samples == 0 {
			rep.Cenkalti = append(rep.Cenkalti, cenkaltiRun(c))
			continue
		}
		var acc collect
		for s := 0; s < c.Samples; s++ {
			for i, v := range cenkaltiRun(c) {
				acc.add(i, v)
			}
		}
		rep.Cenkalti = append(rep.Cenkalti, acc.stats())
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
