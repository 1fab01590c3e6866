// Writes real profiles of a small program with generic code: CPU, heap (4 sample types),
// allocs, block, mutex and goroutine (debug=0), into the directory given as the argument.
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

type Number interface{ ~int | ~int64 | ~float64 }

type Stack[T any] struct{ items []T }

func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }

func Sum[T Number](xs []T) T {
	var t T
	for _, x := range xs {
		t += x
	}
	return t
}

func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

var sink any

func busy(d time.Duration) {
	end := time.Now().Add(d)
	ints := make([]int, 4096)
	for i := range ints {
		ints[i] = i
	}
	for time.Now().Before(end) {
		s := &Stack[[]byte]{}
		for i := 0; i < 64; i++ {
			s.Push(make([]byte, 512))
		}
		sink = s
		sink = Sum(ints) + int(Sum(Map(ints, func(i int) float64 { return float64(i) / 3 })))
	}
}

func contend() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan int)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				mu.Lock()
				time.Sleep(50 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	go func() { time.Sleep(20 * time.Millisecond); close(ch) }()
	<-ch
	wg.Wait()
}

func write(dir, name string, f func(*os.File) error) {
	out, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	if err := f(out); err != nil {
		panic(err)
	}
	out.Close()
}

func main() {
	dir := os.Args[1]
	runtime.MemProfileRate = 4096
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	cpu, _ := os.Create(filepath.Join(dir, "cpu.pb.gz"))
	if err := pprof.StartCPUProfile(cpu); err != nil {
		panic(err)
	}
	busy(1500 * time.Millisecond)
	pprof.StopCPUProfile()
	cpu.Close()
	contend()
	runtime.GC()
	for _, p := range []string{"heap", "allocs", "block", "mutex", "goroutine"} {
		prof := pprof.Lookup(p)
		write(dir, p+".pb.gz", func(f *os.File) error { return prof.WriteTo(f, 0) })
	}
}
