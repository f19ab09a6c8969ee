//go:build linux

package discovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// stopBound is how soon after its context ends everything must have stopped.
const stopBound = 500 * time.Millisecond

// TestBrowserAndAdvertiserStopWithin500ms cancels a Browser that is checking a Manager that hangs,
// and an Advertiser with M-SEARCHes (MX 3) in flight: both stop within 500 ms, the byebye sent.
func TestBrowserAndAdvertiserStopWithin500ms(t *testing.T) {
	selfAddr, peer := observedLAN(t)
	hangURL, hangEntered := hangingManager(t)
	managerURL := standin.ServeHTTP(t, "Desk Farm")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	advertiser := discovery.NewAdvertiser(testLogger(t))
	ad, err := advertiser.Start(ctx, managerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer advertiser.Stop()
	peer.drain()
	peer.search(t, 1)
	peer.wait(t, discovery.SearchResponse, 3*time.Second) // the responder answers

	// The Browser checks the hanging Manager at once, and the check lasts the probe timeout (2 s):
	// the stop below comes within milliseconds of its start.
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: testLogger(t), KnownURLs: []string{hangURL}})
	browserDone := make(chan error, 1)
	go func() { browserDone <- browser.Run(ctx) }()
	var checkBegan time.Time
	select {
	case <-hangEntered:
		checkBegan = time.Now()
	case <-time.After(5 * time.Second):
		t.Fatal("the Browser never checked the hanging Manager")
	}
	const inFlight = 3
	for range inFlight {
		peer.search(t, 3)
	}
	time.Sleep(20 * time.Millisecond) // the responder has read the first and sleeps 0–3 s before answering

	cancel()
	stopped := time.Now()
	if stopped.Sub(checkBegan) >= discovery.DefaultProbeTimeout {
		t.Fatalf("cancelled %v after the hanging check began: it had timed out, the test proves nothing", stopped.Sub(checkBegan))
	}
	browserTook, advertiserTook := stopBound*10, stopBound*10
	timeout := time.After(5 * time.Second)
	adDone := ad.Done()
	for browserDone != nil || adDone != nil {
		select {
		case err := <-browserDone:
			browserTook, browserDone = time.Since(stopped), nil
			if err != nil {
				t.Errorf("Browser.Run: %v", err)
			}
		case <-adDone:
			advertiserTook, adDone = time.Since(stopped), nil
			if err := ad.ByebyeErr(); err != nil {
				t.Errorf("byebye: %v", err)
			}
		case <-timeout:
			t.Fatalf("not stopped 5s after cancel (Browser done: %v, advertising done: %v)", browserDone == nil, adDone == nil)
		}
	}
	// gossdp's reader, asleep before an answer it no longer sends, is done within MX (3 s) of the
	// stop; a sentinel sent after that arrives after anything the advertisement sent.
	waitGossdpGone(t, stopped.Add(4500*time.Millisecond), "4.5s after the stop")
	msgs := peer.untilSentinel(t, sendSentinel(t, selfAddr, 0), 5*time.Second)
	bye, after, ok := afterByebye(msgs)
	answered := 0
	for _, m := range msgs {
		if m.Kind == discovery.SearchResponse && (!ok || m.at.Before(bye.at)) {
			answered++
		}
	}
	t.Logf("stopped after cancel: Browser %v, Advertiser %v; byebye seen %v after cancel; %d of %d M-SEARCHes answered before it",
		browserTook.Round(time.Millisecond), advertiserTook.Round(time.Millisecond), bye.at.Sub(stopped).Round(time.Millisecond),
		answered, inFlight)
	if browserTook > stopBound || advertiserTook > stopBound {
		t.Errorf("stopped after %v (Browser) and %v (Advertiser), want within %v", browserTook, advertiserTook, stopBound)
	}
	if !ok {
		t.Fatalf("no byebye on the wire; received %v", kinds(msgs))
	}
	if answered == inFlight {
		t.Errorf("every M-SEARCH was answered before the stop: none was in flight")
	}
	for _, m := range after {
		t.Errorf("%v arrived %v after the byebye", m.Kind, m.at.Sub(bye.at).Round(time.Millisecond))
	}
}
