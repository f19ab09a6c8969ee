package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// fakeAdvertiser answers as the Managers in answers (by URL), counts the M-SEARCHes to this
// machine it is asked for (the Manager advertises itself when selfAdvertised), and cannot advertise.
type fakeAdvertiser struct {
	mu             sync.Mutex
	answers        map[string]discovery.VersionInfo
	checks         int
	searches       atomic.Int32
	selfAdvertised atomic.Bool
}

func (f *fakeAdvertiser) AdvertisesItself(context.Context, string) (bool, error) {
	f.searches.Add(1)
	return f.selfAdvertised.Load(), nil
}

func (f *fakeAdvertiser) Check(_ context.Context, url string) (discovery.VersionInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	info, ok := f.answers[url]
	if !ok {
		return discovery.VersionInfo{}, errors.New("connection refused")
	}
	return info, nil
}

func (f *fakeAdvertiser) answer(url string, info discovery.VersionInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[url] = info
}

func (f *fakeAdvertiser) checked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.checks
}

func (f *fakeAdvertiser) Start(context.Context, string) (*discovery.Advertisement, error) {
	return nil, discovery.ErrSSDPPortInUse
}
func (f *fakeAdvertiser) Current() *discovery.Advertisement { return nil }
func (f *fakeAdvertiser) Stop()                             {}

// The local Manager is checked every localCheckInterval and at once when its URL changes; this
// machine is asked over SSDP only when the Manager (re)appeared or changed, and on "Search again".
func TestLocalManagerChecksRegularlyAndSearchesOnlyWhenItChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		o := newOwner(ctx)
		defer func() { cancel(); o.wait() }()
		advertiser := &fakeAdvertiser{answers: map[string]discovery.VersionInfo{}}
		searches := &advertiser.searches
		var changes atomic.Int32
		local := newLocalManager(zerolog.New(zerolog.NewTestWriter(t)), o, advertiser, "http://localhost:8080/",
			func() { changes.Add(1) })
		o.Go(func() { local.Run(ctx) })
		expect := func(step string, checks, wantSearches, wantChanges int32, problem string) {
			t.Helper()
			synctest.Wait()
			state, _ := local.State()
			if c := advertiser.checked(); c != int(checks) || searches.Load() != wantSearches || changes.Load() != wantChanges ||
				state.Problem != problem {
				t.Errorf("%s: %d checks, %d searches, %d changes, problem %q; want %d, %d, %d, %q", step, c, searches.Load(),
					changes.Load(), state.Problem, checks, wantSearches, wantChanges, problem)
			}
		}

		expect("at start", 1, 0, 1, "no Manager answers at http://localhost:8080/")
		advertiser.answer("http://localhost:8080/", *studioInfo)
		time.Sleep(localCheckInterval - time.Nanosecond)
		expect("before the interval", 1, 0, 1, "no Manager answers at http://localhost:8080/")
		time.Sleep(time.Nanosecond)
		expect("it answers", 2, 1, 2, "")
		time.Sleep(localCheckInterval)
		expect("unchanged", 3, 1, 2, "")
		advertiser.selfAdvertised.Store(true)
		local.SearchAgain()
		expect("searched again", 4, 2, 3, "“Studio Farm” already advertises itself")
		local.SetURL("http://localhost:9090/")
		expect("a new URL", 5, 2, 4, "no Manager answers at http://localhost:9090/")
		local.SetURL("http://localhost:9090/")
		expect("the same URL", 5, 2, 4, "no Manager answers at http://localhost:9090/")

		local.Toggle()
		synctest.Wait()
		if _, adv := local.State(); adv.Active || adv.Error != "Cannot advertise: UDP 1900 is in use by another program" {
			t.Errorf("advertising %+v", adv)
		}
		if changes.Load() != 5 {
			t.Errorf("%d changes after a failed start, want 5", changes.Load())
		}
	})
}
