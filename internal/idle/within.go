package idle

import "context"

// within runs open, a handshake that cannot be cancelled (an X server's or a bus's), and returns
// what it gives unless ctx ends first. Then open's goroutine, which ends when open returns, closes
// what it opened late: a hung server costs one goroutine, never a hung Open.
func within[T any](ctx context.Context, open func() (T, error), closeLate func(T)) (T, error) {
	type opened struct {
		value T
		err   error
	}
	handover := make(chan opened) // unbuffered: a send succeeds only while Open still waits
	go func() {
		value, err := open()
		select {
		case handover <- opened{value, err}:
		case <-ctx.Done():
			if err == nil {
				closeLate(value)
			}
		}
	}()
	select {
	case o := <-handover:
		return o.value, o.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
