// Command grpc_backoff prints gRPC-Go's connection backoff (internal/backoff.Exponential), in nanoseconds.
//
// The test places this file in a temporary module named google.golang.org/grpc that holds
// Debian's copies of backoff/, internal/backoff/ and internal/grpcrand/, because an internal
// package can only be imported from inside its own module. Input (stdin, JSON): base_ns,
// multiplier, jitter, max_ns, retries, samples. Output: per retry index, min, max, mean and std
// of `samples` draws (one draw is exact when jitter is 0).
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/internal/backoff"
)

type request struct {
	Base       int64   `json:"base_ns"`
	Multiplier float64 `json:"multiplier"`
	Jitter     float64 `json:"jitter"`
	Max        int64   `json:"max_ns"`
	Retries    int     `json:"retries"`
	Samples    int     `json:"samples"`
}

type reply struct {
	Min  []int64   `json:"min"`
	Max  []int64   `json:"max"`
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out []reply
	for _, r := range reqs {
		exp := backoff.Exponential{Config: grpcbackoff.Config{
			BaseDelay:  time.Duration(r.Base),
			Multiplier: r.Multiplier,
			Jitter:     r.Jitter,
			MaxDelay:   time.Duration(r.Max),
		}}
		var rep reply
		for i := 0; i < r.Retries; i++ {
			lo, hi, sum, sq := int64(math.MaxInt64), int64(math.MinInt64), 0.0, 0.0
			for s := 0; s < r.Samples; s++ {
				v := int64(exp.Backoff(i))
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
			n := float64(r.Samples)
			mean := sum / n
			rep.Min, rep.Max = append(rep.Min, lo), append(rep.Max, hi)
			rep.Mean, rep.Std = append(rep.Mean, mean), append(rep.Std, math.Sqrt(math.Max(sq/n-mean*mean, 0)))
		}
		out = append(out, rep)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
