// Replays request series through the real sony/gobreaker v1 on testing/synctest's fake clock.
//
// test_breaker_go.py copies this file into a temporary module as breaker_replay_test.go
// (go.mod replaces github.com/sony/gobreaker with a local v1 checkout) and runs `go test`
// with BREAKER_REPLAY_IN (a JSON list of series) and BREAKER_REPLAY_OUT (where the results go).
//
// Each series runs in its own synctest bubble, once through CircuitBreaker.Execute and once
// through TwoStepCircuitBreaker.Allow. The breaker is made at the bubble's time 0; one goroutine
// per request sleeps until the request's start, asks the breaker, and while allowed sleeps for
// the call's duration before reporting its outcome. The fake clock only moves when every
// goroutine in the bubble is blocked, so each call reaches gobreaker's time.Now() at exactly its
// start and end (checked here); the series avoid two events at one instant, so at most one
// goroutine runs at any fake instant and the order of events is the schedule's.
//
// Per request it records whether it was allowed, the rejection (ErrOpenState → "open",
// ErrTooManyRequests → "too_many_requests") and the state at arrival, taken from the
// OnStateChange history (never from cb.State(), which would itself apply lazy transitions);
// per series the transitions with their times in ns since the breaker was made.
package breakerreplay

import (
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker"
)

type series struct {
	Name        string  `json:"name"`
	MaxRequests uint32  `json:"max_requests"`
	IntervalNs  int64   `json:"interval_ns"`
	TimeoutNs   int64   `json:"timeout_ns"`
	Rule        string  `json:"rule"` // "default" (gobreaker's) or "ratio"
	StartNs     []int64 `json:"start_ns"`
	EndNs       []int64 `json:"end_ns"`
	OK          []bool  `json:"ok"`
}

type transition struct {
	TsNs int64  `json:"ts_ns"`
	From string `json:"from"`
	To   string `json:"to"`
}

type result struct {
	Name        string       `json:"name"`
	Mode        string       `json:"mode"` // "execute" or "twostep"
	Allowed     []bool       `json:"allowed"`
	Rejected    []string     `json:"rejected"` // "" when allowed
	State       []string     `json:"state"`
	Transitions []transition `json:"transitions"`
}

var errFailed = errors.New("request failed")

// ratio is the custom ReadyToTrip the Python side passes as a lambda.
func ratio(c gobreaker.Counts) bool {
	return c.Requests >= 10 && float64(c.TotalFailures)/float64(c.Requests) >= 0.5
}

func replay(t *testing.T, s series, mode string) result {
	n := len(s.StartNs)
	res := result{
		Name:        s.Name,
		Mode:        mode,
		Allowed:     make([]bool, n),
		Rejected:    make([]string, n),
		State:       make([]string, n),
		Transitions: []transition{},
	}
	t0 := time.Now()
	var mu sync.Mutex
	current := gobreaker.StateClosed.String()
	settings := gobreaker.Settings{
		Name:        s.Name,
		MaxRequests: s.MaxRequests,
		Interval:    time.Duration(s.IntervalNs),
		Timeout:     time.Duration(s.TimeoutNs),
		OnStateChange: func(_ string, from, to gobreaker.State) {
			mu.Lock()
			defer mu.Unlock()
			res.Transitions = append(res.Transitions, transition{int64(time.Since(t0)), from.String(), to.String()})
			current = to.String()
		},
	}
	switch s.Rule {
	case "default":
	case "ratio":
		settings.ReadyToTrip = ratio
	default:
		t.Fatalf("%s: unknown rule %q", s.Name, s.Rule)
	}
	var cb *gobreaker.CircuitBreaker
	var tscb *gobreaker.TwoStepCircuitBreaker
	if mode == "execute" {
		cb = gobreaker.NewCircuitBreaker(settings)
	} else {
		tscb = gobreaker.NewTwoStepCircuitBreaker(settings)
	}
	at := func(i int, want int64, what string) {
		if got := int64(time.Since(t0)); got != want {
			t.Errorf("%s/%s request %d: %s at %d ns, want %d ns", s.Name, mode, i, what, got, want)
		}
	}
	admitted := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		res.Allowed[i] = true
		res.State[i] = current
	}
	call := func(i int) {
		time.Sleep(time.Duration(s.EndNs[i] - s.StartNs[i]))
		at(i, s.EndNs[i], "end")
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(s.StartNs[i]))
			at(i, s.StartNs[i], "start")
			var err error
			if mode == "execute" {
				_, err = cb.Execute(func() (interface{}, error) {
					admitted(i)
					call(i)
					if !s.OK[i] {
						return nil, errFailed
					}
					return nil, nil
				})
			} else {
				var done func(bool)
				done, err = tscb.Allow()
				if err == nil {
					admitted(i)
					call(i)
					done(s.OK[i])
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, gobreaker.ErrOpenState):
				res.Rejected[i], res.State[i] = "open", current
			case errors.Is(err, gobreaker.ErrTooManyRequests):
				res.Rejected[i], res.State[i] = "too_many_requests", current
			case err != nil && !errors.Is(err, errFailed):
				t.Errorf("%s/%s request %d: unexpected error %v", s.Name, mode, i, err)
			}
			if (err == nil || errors.Is(err, errFailed)) != res.Allowed[i] {
				t.Errorf("%s/%s request %d: error %v but allowed=%v", s.Name, mode, i, err, res.Allowed[i])
			}
		}(i)
	}
	wg.Wait()
	return res
}

func TestBreakerReplay(t *testing.T) {
	in, out := os.Getenv("BREAKER_REPLAY_IN"), os.Getenv("BREAKER_REPLAY_OUT")
	if in == "" || out == "" {
		t.Skip("BREAKER_REPLAY_IN and BREAKER_REPLAY_OUT are not set")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var all []series
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	results := []result{}
	for _, s := range all {
		if len(s.EndNs) != len(s.StartNs) || len(s.OK) != len(s.StartNs) {
			t.Fatalf("%s: start_ns, end_ns and ok differ in length", s.Name)
		}
		for _, mode := range []string{"execute", "twostep"} {
			synctest.Test(t, func(t *testing.T) {
				results = append(results, replay(t, s, mode))
			})
		}
	}
	data, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
