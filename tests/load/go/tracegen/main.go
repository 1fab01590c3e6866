// Command tracegen writes a small Go execution trace for apiprobe's tests.
//
// Usage: go run . OUT.trace
//
// It starts a few goroutines that contend on a mutex, talk over a channel,
// run inside a user task and region, log a user annotation, and do one HTTP
// round trip on 127.0.0.1 (loopback only).
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tracegen OUT.trace")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
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
				for j := 0; j < 50; j++ {
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
	srv.Close()
	fmt.Println("total", total)
}
