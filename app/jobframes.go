package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/draw"
	"image/png"
	"maps"
	"net/http"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

const (
	// frameRefresh: a job's row shows a new frame at most this often, however often the Manager
	// says one was rendered.
	frameRefresh = time.Minute
	// frameNoticeWait bounds what fetching a frame adds to a notification's delay: under 1 s with
	// the decoding and scaling that follow.
	frameNoticeWait = 800 * time.Millisecond
	// framesInFlight bounds the frame requests a tray makes to all Managers at once.
	framesInFlight = 2
	// frameIconSize bounds a row's icon: panels show menu icons at 16 to 24 px, HiDPI twice that.
	frameIconSize = 48
)

// jobFrames fetches the last rendered frames of the user's jobs, never a stream of them: the tiny
// size as a row's icon when the row first shows, then on the bus's news at most every frameRefresh;
// the small size for the notification of a job's end, which then serves as its row's icon too.
//
// Concurrency: the fields below mu are guarded by mu, never held during a request; fetches run on
// goroutines of owner, framesInFlight at a time; changed (a menu rebuild) is called without mu.
type jobFrames struct {
	log     zerolog.Logger
	owner   *owner
	clock   clock.Clock
	http    *http.Client
	changed func()
	slots   chan struct{} // framesInFlight

	mu   sync.Mutex
	jobs map[frameKey]*jobFrame
}

// frameKey is a job of a Manager, by its URL.
type frameKey struct{ manager, job string }

type jobFrame struct {
	where     managerapi.LastRendered // the newest frame's sizes, once known
	newsAt    time.Time               // the event bus's news of it
	fetchedAt time.Time               // the last fetch's start
	stale     bool                    // a newer frame than the icon's exists, or the row has none yet
	busy      bool                    // a fetch is in flight or waits for its minute
	icon      fyne.Resource
}

func newJobFrames(log zerolog.Logger, o *owner, c clock.Clock, changed func()) *jobFrames {
	return &jobFrames{log: log.With().Str("component", "frames").Logger(), owner: o, clock: c,
		http: managerapi.NewHTTPClient(managerapi.DefaultTimeout), changed: changed,
		slots: make(chan struct{}, framesInFlight), jobs: map[frameKey]*jobFrame{}}
}

// see takes a Manager's farm as it changed: the rows that need a frame, and news of new frames.
func (f *jobFrames) see(s farm.Summary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	listed := map[string]bool{}
	for _, j := range s.MyJobs {
		listed[j.ID] = true
		key := frameKey{s.Manager, j.ID}
		jf, ok := f.jobs[key]
		if !ok {
			jf = &jobFrame{stale: true}
			f.jobs[key] = jf
		}
		if news, ok := s.Frames[j.ID]; ok && news.At.After(jf.newsAt) {
			jf.where, jf.newsAt, jf.stale = news.Where, news.At, true
		}
		if jf.stale && !jf.busy {
			jf.busy = true
			f.fetchLater(key, jf, jf.fetchedAt.Add(frameRefresh))
		}
	}
	maps.DeleteFunc(f.jobs, func(key frameKey, _ *jobFrame) bool { return key.manager == s.Manager && !listed[key.job] })
}

// icons are the rows' icons of a Manager's jobs, by job id.
func (f *jobFrames) icons(manager string) map[string]fyne.Resource {
	f.mu.Lock()
	defer f.mu.Unlock()
	icons := map[string]fyne.Resource{}
	for key, jf := range f.jobs {
		if key.manager == manager && jf.icon != nil {
			icons[key.job] = jf.icon
		}
	}
	return icons
}

// fetchLater fetches a row's tiny frame at at (now, if past), on a goroutine of owner, unless the
// row is gone by then (jf is no longer its) or a notification's frame made it fresh.
func (f *jobFrames) fetchLater(key frameKey, jf *jobFrame, at time.Time) {
	f.owner.Go(func() {
		ctx := f.owner.ctx
		if wait := at.Sub(f.clock.Now()); wait > 0 {
			timer := f.clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C():
			}
		}
		select {
		case <-ctx.Done():
			return
		case f.slots <- struct{}{}:
		}
		defer func() { <-f.slots }()
		f.fetchTiny(ctx, key, jf)
	})
}

func (f *jobFrames) fetchTiny(ctx context.Context, key frameKey, jf *jobFrame) {
	f.mu.Lock()
	if f.jobs[key] != jf || !jf.stale {
		jf.busy = false
		f.mu.Unlock()
		return // no longer listed, or as fresh as the news
	}
	where, fetchedBefore := jf.where, jf.fetchedAt
	jf.stale, jf.fetchedAt = false, f.clock.Now()
	f.mu.Unlock()
	data, err := f.fetch(ctx, key, where, managerapi.FrameTiny)
	f.mu.Lock()
	jf.busy = false
	if data == nil && err == nil {
		jf.fetchedAt = fetchedBefore // none rendered yet (204): the first one is no refresh to wait for
	}
	listed := f.jobs[key] == jf
	f.mu.Unlock()
	if listed {
		f.show(key, data, err)
	}
}

// forNotice fetches the small size of a job's frame for the notification of its end: nil when it
// has none, it does not come within frameNoticeWait, or it is not an image.
func (f *jobFrames) forNotice(manager, jobID string) []byte {
	ctx, cancel := context.WithTimeout(f.owner.ctx, frameNoticeWait)
	defer cancel()
	key := frameKey{manager, jobID}
	f.mu.Lock()
	var where managerapi.LastRendered
	var newsAt time.Time
	if jf, ok := f.jobs[key]; ok {
		where, newsAt = jf.where, jf.newsAt
	}
	f.mu.Unlock()
	data, err := f.fetch(ctx, key, where, managerapi.FrameSmall)
	if data != nil {
		f.mu.Lock()
		if jf, ok := f.jobs[key]; ok {
			jf.fetchedAt = f.clock.Now() // the row's icon is this frame: a refresh
			if jf.newsAt.Equal(newsAt) {
				jf.stale = false // the newest: a tiny fetch waiting for its minute has nothing to do
			}
		}
		f.mu.Unlock()
	}
	// The row's icon is made after the notification has the frame: decoding it twice at once
	// would delay the notification.
	f.owner.Go(func() { f.show(key, data, err) })
	return data
}

// fetch asks for one size of a job's frame; where is what the bus said of it (zero: ask first).
func (f *jobFrames) fetch(ctx context.Context, key frameKey, where managerapi.LastRendered, size string) ([]byte, error) {
	client := managerapi.NewClient(key.manager, managerapi.WithHTTPClient(f.http))
	if where.Base == "" {
		var err error
		if where, err = client.LastRendered(ctx, key.job); err != nil {
			return nil, err
		}
		if !where.Has(size) {
			return nil, nil // 204: none rendered yet
		}
	}
	return client.Frame(ctx, where, size)
}

// show makes a fetched frame its row's icon.
func (f *jobFrames) show(key frameKey, data []byte, err error) {
	if err != nil {
		f.log.Debug().Err(err).Str("job", key.job).Msg("no frame")
		return
	}
	if data == nil {
		return
	}
	icon, err := frameIcon(data)
	if err != nil {
		f.log.Debug().Err(err).Str("job", key.job).Msg("frame unreadable")
		return
	}
	f.mu.Lock()
	jf, ok := f.jobs[key]
	if ok {
		jf.icon = icon
	}
	f.mu.Unlock()
	if ok {
		f.changed()
	}
}

// frameIcon scales a frame down to a square menu icon, the frame centred between transparent bands
// (libdbusmenu-gtk, Xfce's and others' menus, squeezes any icon into a square), a PNG named by the
// frame's content.
func frameIcon(data []byte) (fyne.Resource, error) {
	frame, err := scaledFrame(data, frameIconSize)
	if err != nil {
		return nil, err
	}
	icon := image.NewNRGBA(image.Rect(0, 0, frameIconSize, frameIconSize))
	b := frame.Bounds()
	at := image.Pt((frameIconSize-b.Dx())/2, (frameIconSize-b.Dy())/2)
	draw.Draw(icon, b.Add(at), frame, b.Min, draw.Src)
	var encoded bytes.Buffer
	if err := png.Encode(&encoded, icon); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return fyne.NewStaticResource("frame-"+hex.EncodeToString(sum[:8])+".png", encoded.Bytes()), nil
}
