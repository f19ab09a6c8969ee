package app

import (
	"context"
	"sync"
)

// owner starts the tray's goroutines and waits for them: each ends when ctx does.
//
// Concurrency: safe for concurrent use; ctx is set once by newOwner.
type owner struct {
	ctx context.Context
	wg  sync.WaitGroup
}

func newOwner(ctx context.Context) *owner { return &owner{ctx: ctx} }

// Go runs fn in a goroutine that wait waits for; fn must return once o.ctx ends.
func (o *owner) Go(fn func()) { o.wg.Go(fn) }

// wait returns once every goroutine started by Go has returned.
func (o *owner) wait() { o.wg.Wait() }

// forEach calls f with each value received on ch until ctx ends or ch is closed; a nil ch waits for
// ctx alone.
func forEach[T any](ctx context.Context, ch <-chan T, f func(T)) {
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			f(v)
		}
	}
}

// poke sends on ch, a channel of 1 slot, without waiting: a value already waiting stands for this
// one too, so that requests made in a burst merge.
func poke(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
