package hub_test

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/hub"
)

// received returns what ch holds now, without waiting.
func received[T any](ch <-chan T) []T {
	var got []T
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, v)
		default:
			return got
		}
	}
}

func closed[T any](ch <-chan T) bool {
	select {
	case _, ok := <-ch:
		return !ok
	default:
		return false
	}
}

func TestEveryValueReachesEverySubscriberInOrder(t *testing.T) {
	h := hub.New[int](8, zerolog.Nop())
	a, _ := h.Subscribe()
	b, _ := h.Subscribe()
	for i := range 5 {
		h.Publish(i)
	}
	want := []int{0, 1, 2, 3, 4}
	if got := received(a); !slices.Equal(got, want) {
		t.Errorf("first subscriber: %v, want %v", got, want)
	}
	if got := received(b); !slices.Equal(got, want) {
		t.Errorf("second subscriber: %v, want %v", got, want)
	}
}

func TestSlowSubscriberLosesTheNewestAndIsWarnedAboutOncePerStretch(t *testing.T) {
	var logs bytes.Buffer
	h := hub.New[int](3, zerolog.New(&logs))
	slow, _ := h.Subscribe()
	fast, _ := h.Subscribe()
	var fastGot []int
	for i := range 10 {
		h.Publish(i)
		fastGot = append(fastGot, received(fast)...)
	}
	if got := received(slow); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("slow subscriber kept %v, want the oldest three", got)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(fastGot, want) {
		t.Errorf("a subscriber that keeps up got %v, want %v", fastGot, want)
	}
	if n := strings.Count(logs.String(), "not keeping up"); n != 1 {
		t.Errorf("%d warnings for one stretch of drops, want 1:\n%s", n, logs.String())
	}
	// Caught up, then behind again: a second stretch, a second warning.
	for i := range 4 {
		h.Publish(10 + i)
		received(fast)
	}
	if got := received(slow); !slices.Equal(got, []int{10, 11, 12}) {
		t.Errorf("after catching up: %v", got)
	}
	if n := strings.Count(logs.String(), "not keeping up"); n != 2 {
		t.Errorf("%d warnings after a second stretch, want 2", n)
	}
}

func TestUnsubscribeClosesTheChannelAndStopsDelivery(t *testing.T) {
	h := hub.New[string](4, zerolog.Nop())
	ch, unsubscribe := h.Subscribe()
	other, _ := h.Subscribe()
	h.Publish("before")
	unsubscribe()
	unsubscribe() // twice is harmless
	h.Publish("after")
	var got []string
	for v := range ch { // ends: the channel is closed
		got = append(got, v)
	}
	if !slices.Equal(got, []string{"before"}) {
		t.Errorf("unsubscribed channel held %v, want only what came before", got)
	}
	if got := received(other); !slices.Equal(got, []string{"before", "after"}) {
		t.Errorf("the other subscriber got %v", got)
	}
}

func TestCloseEndsEverySubscriptionAndLaterCallsAreHarmless(t *testing.T) {
	h := hub.New[int](4, zerolog.Nop())
	ch, unsubscribe := h.Subscribe()
	h.Publish(1)
	h.Close()
	h.Close()
	h.Publish(2)
	unsubscribe()
	var got []int
	for v := range ch {
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1}) {
		t.Errorf("got %v, want what was published before Close", got)
	}
	late, unsubscribeLate := h.Subscribe()
	if !closed(late) {
		t.Error("a subscription after Close is not closed")
	}
	unsubscribeLate()
}

func TestLatestHoldsOnlyTheNewestAndSkipsEqualValues(t *testing.T) {
	type state struct{ phase string }
	same := func(a, b state) bool { return a == b }
	h := hub.NewLatest(state{"idle"}, same)
	ch, unsubscribe := h.Subscribe()
	defer unsubscribe()
	if got := received(ch); !slices.Equal(got, []state{{"idle"}}) {
		t.Fatalf("a new subscriber got %v, want the current state at once", got)
	}
	h.Publish(state{"starting"})
	h.Publish(state{"awake"})
	h.Publish(state{"busy"})
	if got := received(ch); !slices.Equal(got, []state{{"busy"}}) {
		t.Errorf("a slow reader got %v, want only the newest", got)
	}
	h.Publish(state{"busy"})
	if got := received(ch); len(got) != 0 {
		t.Errorf("an equal state was published: %v", got)
	}
	late, unsubscribeLate := h.Subscribe()
	defer unsubscribeLate()
	if got := received(late); !slices.Equal(got, []state{{"busy"}}) {
		t.Errorf("a late subscriber got %v, want the current state", got)
	}
}

func TestLatestUsesTheCallersEquality(t *testing.T) {
	// Only the phase counts: a change of detail alone is not news.
	type state struct{ phase, detail string }
	h := hub.NewLatest(state{"idle", "a"}, func(a, b state) bool { return a.phase == b.phase })
	ch, unsubscribe := h.Subscribe()
	defer unsubscribe()
	received(ch)
	h.Publish(state{"idle", "b"})
	if got := received(ch); len(got) != 0 {
		t.Errorf("published %v, which the equality func calls the same", got)
	}
	h.Publish(state{"busy", "c"})
	if got := received(ch); !slices.Equal(got, []state{{"busy", "c"}}) {
		t.Errorf("got %v", got)
	}
}

func TestUnsubscribeWhilePublishing(t *testing.T) {
	h := hub.New[int](1, zerolog.Nop())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				h.Publish(i)
			}
		}
	})
	for range 200 {
		ch, unsubscribe := h.Subscribe()
		<-ch // something was published to it
		unsubscribe()
		for range ch { // drains, then ends: closed, and no send after the close
		}
	}
	close(stop)
	wg.Wait()
}

// Run with -race: publishers, subscribers and Close at once.
func TestConcurrentPublishSubscribeAndClose(t *testing.T) {
	for _, latest := range []bool{false, true} {
		h := hub.New[int](4, zerolog.Nop())
		if latest {
			h = hub.NewLatest(0, func(a, b int) bool { return a == b })
		}
		var wg sync.WaitGroup
		for p := range 4 {
			wg.Go(func() {
				for i := range 500 {
					h.Publish(p*1000 + i)
				}
			})
		}
		for range 4 {
			wg.Go(func() {
				for range 50 {
					ch, unsubscribe := h.Subscribe()
					received(ch)
					unsubscribe()
				}
			})
		}
		readers := make(chan struct{})
		for range 4 {
			ch, _ := h.Subscribe()
			wg.Go(func() {
				for range ch { // ends at Close
				}
				readers <- struct{}{}
			})
		}
		h.Close()
		for range 4 {
			<-readers
		}
		wg.Wait()
	}
}
