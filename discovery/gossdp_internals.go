package discovery

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/fromkeith/gossdp"
)

// This file is the only place that reaches into gossdp's unexported fields (reflect and unsafe), for
// the version go.mod pins (v0.0.0-20180102154144-1b2c43f6886e), and for one thing: stopping a Server
// so that ssdp:byebye is its last word. gossdp's own Stop clears its running flag before the byebye,
// so never sends one, then clears the socket under its reader (FLAMENCO-SSDP.md). Each reach:
//
//   - Ssdp.interactionLock and isRunning: clearing the flag under the lock stops its answers and
//     re-announcements while its socket stays open for our byebye.
//   - AdvertisableServer.lastTimer/last3sTimer in Ssdp.advertisableServers: gossdp's Stop stops
//     only those of the last advertisement of each device UUID, and all of Flamenco's share one.
//   - Ssdp.writeChannel and writeMessage{shouldExit: true}: once its writer took the exit message,
//     every datagram it was given has been written, so no answer can follow the byebye.
//   - Ssdp.socket.rawSocket: closing it ends the reader without clearing the field under it.
//
// TestGossdpLayoutIsTheOnePinned fails when this layout changes; Server falls back to gossdp's own
// Stop (logged) when it cannot reach the fields (on Windows its socket is a raw handle).

// gossdpInternals are the parts of one gossdp.Ssdp that a clean stop needs.
type gossdpInternals struct {
	interactionLock     *sync.Mutex
	isRunning           *bool
	advertisableServers reflect.Value // map[string][]*gossdp.AdvertisableServer
	writeChannel        reflect.Value // chan gossdp.writeMessage, unbuffered, read by its writer
	exitMessage         reflect.Value // gossdp.writeMessage{shouldExit: true}
	rawSocket           net.PacketConn
}

// gossdpTimerFields are AdvertisableServer's re-announcement timers.
var gossdpTimerFields = []string{"lastTimer", "last3sTimer"}

// errGossdpLayout means gossdp's unexported fields are not what this file expects.
var errGossdpLayout = errors.New("gossdp's internals differ from its pinned version")

// checkGossdpLayout reports whether gossdp's types have the fields this file uses, with their types.
func checkGossdpLayout() error {
	ssdpType := reflect.TypeFor[gossdp.Ssdp]()
	want := map[string]reflect.Type{
		"interactionLock":     reflect.TypeFor[sync.Mutex](),
		"isRunning":           reflect.TypeFor[bool](),
		"advertisableServers": reflect.TypeFor[map[string][]*gossdp.AdvertisableServer](),
	}
	for name, typ := range want {
		if err := checkField(ssdpType, name, typ); err != nil {
			return err
		}
	}
	for _, name := range gossdpTimerFields {
		if err := checkField(reflect.TypeFor[gossdp.AdvertisableServer](), name, reflect.TypeFor[*time.Timer]()); err != nil {
			return err
		}
	}
	channel, ok := ssdpType.FieldByName("writeChannel")
	if !ok || channel.Type.Kind() != reflect.Chan || channel.Type.ChanDir() != reflect.BothDir ||
		channel.Type.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: Ssdp.writeChannel is not a channel of structs", errGossdpLayout)
	}
	if err := checkField(channel.Type.Elem(), "shouldExit", reflect.TypeFor[bool]()); err != nil {
		return err
	}
	socket, ok := ssdpType.FieldByName("socket")
	if !ok || socket.Type.Kind() != reflect.Struct {
		return fmt.Errorf("%w: Ssdp.socket is not a struct", errGossdpLayout)
	}
	return checkField(socket.Type, "rawSocket", reflect.TypeFor[net.PacketConn]())
}

func checkField(in reflect.Type, name string, want reflect.Type) error {
	field, ok := in.FieldByName(name)
	if !ok {
		return fmt.Errorf("%w: %s has no field %s", errGossdpLayout, in, name)
	}
	if field.Type != want {
		return fmt.Errorf("%w: %s.%s is a %s, not a %s", errGossdpLayout, in, name, field.Type, want)
	}
	return nil
}

// reachGossdp returns ssdp's internals. Call it before ssdp's goroutines start (it reads the socket).
func reachGossdp(ssdp *gossdp.Ssdp) (*gossdpInternals, error) {
	if err := checkGossdpLayout(); err != nil {
		return nil, err
	}
	s := reflect.ValueOf(ssdp).Elem()
	channel := unexported(s.FieldByName("writeChannel"))
	exit := reflect.New(channel.Type().Elem()).Elem()
	unexported(exit.FieldByName("shouldExit")).SetBool(true)
	internals := &gossdpInternals{
		interactionLock:     unexported(s.FieldByName("interactionLock")).Addr().Interface().(*sync.Mutex),
		isRunning:           unexported(s.FieldByName("isRunning")).Addr().Interface().(*bool),
		advertisableServers: unexported(s.FieldByName("advertisableServers")),
		writeChannel:        channel,
		exitMessage:         exit,
	}
	internals.rawSocket, _ = unexported(s.FieldByName("socket").FieldByName("rawSocket")).Interface().(net.PacketConn)
	if internals.rawSocket == nil || channel.IsNil() {
		return nil, fmt.Errorf("%w: no socket or writer channel", errGossdpLayout)
	}
	return internals, nil
}

// unexported makes an addressable unexported field usable.
func unexported(field reflect.Value) reflect.Value {
	return reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
}

// stopSending makes gossdp send nothing more of its own: once isRunning is false under its lock,
// neither its answers nor its re-announcements send, and a send under way has reached the writer.
func (g *gossdpInternals) stopSending() {
	g.interactionLock.Lock()
	defer g.interactionLock.Unlock()
	*g.isRunning = false
	g.stopTimersLocked()
}

// stopTimers stops the re-announcement timers again: a timer that had fired while stopSending held
// the lock re-arms itself (for max-age) after finding gossdp stopped.
func (g *gossdpInternals) stopTimers() {
	g.interactionLock.Lock()
	defer g.interactionLock.Unlock()
	g.stopTimersLocked()
}

func (g *gossdpInternals) stopTimersLocked() {
	for iter := g.advertisableServers.MapRange(); iter.Next(); {
		list := iter.Value()
		for i := range list.Len() {
			ad := list.Index(i)
			if ad.IsNil() {
				continue
			}
			for _, name := range gossdpTimerFields {
				if timer, _ := unexported(ad.Elem().FieldByName(name)).Interface().(*time.Timer); timer != nil {
					timer.Stop()
				}
			}
		}
	}
}

// stopWriter hands gossdp's writer its exit message. The channel is unbuffered and the writer writes
// one datagram at a time, so once it took the message every datagram it was given has been written.
// Call it after stopSending, and only once the writer runs (gossdp's Start starts it).
func (g *gossdpInternals) stopWriter(within time.Duration) error {
	chosen, _, _ := reflect.Select([]reflect.SelectCase{
		{Dir: reflect.SelectSend, Chan: g.writeChannel, Send: g.exitMessage},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(time.After(within))},
	})
	if chosen != 0 {
		return fmt.Errorf("gossdp's writer did not stop within %v", within)
	}
	return nil
}

// closeSocket closes gossdp's socket, which ends its reader: at once when it is reading, or after
// the answer it is sleeping on (up to the M-SEARCH's MX), which it no longer sends.
func (g *gossdpInternals) closeSocket() error {
	return g.rawSocket.Close()
}
