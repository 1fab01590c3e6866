// Package db holds a connection pool whose callers block when it is exhausted.
package db

import (
	"sync"
	"time"
)

// Pool hands out a fixed number of connections.
type Pool struct {
	mu    sync.Mutex
	conns chan int
}

// New makes a pool of n connections.
func New(n int) *Pool {
	p := &Pool{conns: make(chan int, n)}
	for i := 0; i < n; i++ {
		p.conns <- i
	}
	return p
}

// Query takes a connection (blocking while none is free) and holds it for d.
func (p *Pool) Query(d time.Duration) {
	c := <-p.conns
	time.Sleep(d)
	p.conns <- c
}

// Locked holds the pool's mutex for d.
func (p *Pool) Locked(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	time.Sleep(d)
}
