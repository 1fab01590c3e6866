// Command tracegen writes a Go execution trace for apiprobe's tests.
//
// Usage: go run main.go [-scale N] OUT.trace
//
// Scale calibration (Go 1.27.3, linux/amd64, GOMAXPROCS=2): -scale 200 writes
// a trace of ~50-55 MB in ~20 s (use it for a ~50-60 MB trace); -scale 1
// (the default) writes ~0.3-0.5 MB in ~0.3 s. Size and time grow about
// linearly with -scale (~250 KB and ~0.1 s per unit); the size varies from run
// to run with scheduling and GC timing, and with the number of CPUs.
//
// First, as before, a few goroutines contend on a mutex and talk over a
// channel inside the user task "tracegen-task" and region "tracegen-worker",
// log the user annotation "tracegen-done" (values 0..3, exactly four logs),
// and do one HTTP round trip in region "tracegen-http".
//
// Then, concurrently, the situations behind an SRE's slow requests:
//
//   - an HTTP client pool that saturates: an http.Transport with
//     MaxConnsPerHost=2 against a loopback server (127.0.0.1 only) whose
//     handler sleeps 2 ms; 16 goroutines run the requests, each in its own
//     task "request" (created by goroutine 1, ended by the worker) with the
//     round trip in region "http.call", so they wait for a connection
//     (select/sync waits) and for the response (network waits); every other
//     request nests it as "handler" > "http.call" and then "db.lock";
//   - mutex contention: 8 goroutines contend one sync.Mutex in region "db.lock";
//   - channel hand-off: a producer and a consumer over an unbuffered channel
//     in region "queue.handoff";
//   - fsync: a temp file in os.TempDir() written and f.Sync()ed in region
//     "disk.fsync" (syscall time);
//   - allocation pressure: short-lived 64 KiB []byte in region "alloc.churn",
//     so the GC runs often, with mark assists.
//
// -scale N multiplies the number of requests and of loop iterations. The
// region, task and log names are the same in every run. Standard library
// only; builds with Go 1.19 (old trace format) and Go 1.22+.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

const (
	httpWorkers   = 16                    // goroutines doing requests
	httpConns     = 2                     // Transport.MaxConnsPerHost
	handlerSleep  = 2 * time.Millisecond  // server handler time per request
	requests      = 48                    // requests per unit of scale
	dbWorkers     = 8                     // goroutines contending dbMu
	dbIters       = 200                   // lock/unlock per db worker per unit of scale
	dbHold        = 20 * time.Microsecond // dbMu hold time (busy)
	queueItems    = 10000                 // channel hand-offs per unit of scale
	queueBatch    = 50                    // hand-offs per "queue.handoff" region
	fsyncs        = 4                     // fsynced files per unit of scale
	fsyncBytes    = 64 << 10              // bytes written before each fsync
	churnWorkers  = 2                     // goroutines allocating
	churnBatches  = 40                    // "alloc.churn" regions per churn worker per unit of scale
	churnPerBatch = 32                    // allocations per "alloc.churn" region
	churnSize     = 64 << 10              // bytes per allocation
	churnLive     = 256                   // allocations kept alive (ring) per churn worker: 16 MiB each
)

func main() {
	scale := flag.Int("scale", 1, "multiply the amount of work (requests, iterations) by `N`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tracegen [-scale N] OUT.trace")
		flag.PrintDefaults()
	}
	flag.Parse()
	s := *scale
	if flag.NArg() != 1 || s < 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Create(flag.Arg(0))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	defer trace.Stop()

	ctx, task := trace.NewTask(context.Background(), "tracegen-task")
	defer task.End()

	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan int)
	total := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			trace.WithRegion(ctx, "tracegen-worker", func() {
				for j := 0; j < 50; j++ { // not scaled: the test's fixed part
					mu.Lock()
					total += i * j
					time.Sleep(10 * time.Microsecond)
					mu.Unlock()
				}
				ch <- i
			})
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	for v := range ch {
		trace.Log(ctx, "tracegen-done", fmt.Sprint(v))
	}

	// One HTTP round trip on the loopback interface.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(handlerSleep)
		}
		io.WriteString(w, "pong")
	})}
	go srv.Serve(ln)
	trace.WithRegion(ctx, "tracegen-http", func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/ping")
		if err != nil {
			panic(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	})

	// The slow-request situations, all at once.
	var dbMu sync.Mutex
	dbCount := 0
	dbWork := func(ctx context.Context) {
		trace.WithRegion(ctx, "db.lock", func() {
			dbMu.Lock()
			dbCount++
			for t0 := time.Now(); time.Since(t0) < dbHold; { // busy: hold the lock
			}
			dbMu.Unlock()
		})
	}

	var load sync.WaitGroup
	for w := 0; w < dbWorkers; w++ {
		load.Add(1)
		go func() {
			defer load.Done()
			for j := 0; j < dbIters*s; j++ {
				dbWork(ctx)
			}
		}()
	}

	load.Add(2)
	queue := make(chan int) // unbuffered: every send waits for the receiver
	go func() {
		defer load.Done()
		defer close(queue)
		for b := 0; b < queueItems*s/queueBatch; b++ {
			trace.WithRegion(ctx, "queue.handoff", func() {
				for k := 0; k < queueBatch; k++ {
					queue <- b*queueBatch + k
				}
			})
		}
	}()
	received := 0
	go func() {
		defer load.Done()
		for {
			done := false
			trace.WithRegion(ctx, "queue.handoff", func() {
				for k := 0; k < queueBatch; k++ {
					if _, ok := <-queue; !ok {
						done = true
						return
					}
					received++
				}
			})
			if done {
				return
			}
		}
	}()

	load.Add(1)
	go func() {
		defer load.Done()
		buf := make([]byte, fsyncBytes)
		for i := 0; i < fsyncs*s; i++ {
			trace.WithRegion(ctx, "disk.fsync", func() {
				tf, err := os.CreateTemp(os.TempDir(), "tracegen-*.tmp")
				if err != nil {
					panic(err)
				}
				defer os.Remove(tf.Name())
				defer tf.Close()
				if _, err := tf.Write(buf); err != nil {
					panic(err)
				}
				if err := tf.Sync(); err != nil {
					panic(err)
				}
			})
		}
	}()

	churned := 0
	var churnMu sync.Mutex
	for w := 0; w < churnWorkers; w++ {
		load.Add(1)
		go func() {
			defer load.Done()
			live := make([][]byte, churnLive)
			n := 0
			for b := 0; b < churnBatches*s; b++ {
				trace.WithRegion(ctx, "alloc.churn", func() {
					for k := 0; k < churnPerBatch; k++ {
						p := make([]byte, churnSize)
						p[0], p[len(p)-1] = byte(n), byte(k)
						live[n%churnLive] = p
						n++
					}
				})
			}
			churnMu.Lock()
			churned += n
			churnMu.Unlock()
		}()
	}

	// The saturating client pool: goroutine 1 creates one task per request
	// and hands it to one of httpWorkers goroutines, which share httpConns
	// connections.
	tr := &http.Transport{
		Proxy:               nil, // loopback only, never a proxy
		MaxConnsPerHost:     httpConns,
		MaxIdleConnsPerHost: httpConns,
		DisableCompression:  true,
	}
	client := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + "/slow"
	type job struct {
		ctx  context.Context
		task *trace.Task
		n    int
	}
	jobs := make(chan job)
	var httpWG sync.WaitGroup
	for w := 0; w < httpWorkers; w++ {
		httpWG.Add(1)
		go func() {
			defer httpWG.Done()
			for j := range jobs {
				call := func() {
					trace.WithRegion(j.ctx, "http.call", func() {
						resp, err := client.Get(url)
						if err != nil {
							panic(err)
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					})
				}
				if j.n%2 == 0 {
					trace.WithRegion(j.ctx, "handler", func() {
						call()
						dbWork(j.ctx)
					})
				} else {
					call()
				}
				j.task.End()
			}
		}()
	}
	for i := 0; i < requests*s; i++ {
		rctx, rtask := trace.NewTask(ctx, "request")
		jobs <- job{rctx, rtask, i}
	}
	close(jobs)
	httpWG.Wait()
	load.Wait()
	tr.CloseIdleConnections()
	srv.Close()
	fmt.Println("total", total, "db", dbCount, "queue", received, "churn", churned)
}
