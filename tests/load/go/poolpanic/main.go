// Starts goroutines that wait on an exhausted pool and a held mutex, then panics, so the
// runtime prints every goroutine (GOTRACEBACK=all).
package main

import (
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/acme/payments/internal/db"
)

func charge(p *db.Pool, wg *sync.WaitGroup) {
	defer wg.Done()
	p.Query(time.Hour)
}

func main() {
	p := db.New(2)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go charge(p, &wg)
	}
	for i := 0; i < 3; i++ {
		go p.Locked(time.Hour)
	}
	time.Sleep(300 * time.Millisecond)
	if len(os.Args) > 1 && os.Args[1] == "dump" {
		pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		return
	}
	var m map[string]int
	m["boom"]++ // panic: assignment to entry in nil map
}
