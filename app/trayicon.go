package app

import (
	"slices"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// IconState is the tray icon to show: one state of the farm at a time.
type IconState int

const (
	IconSearching IconState = iota
	IconNoManager
	IconManagersFound
	IconAdvertising
	// IconRendering: this computer renders for a farm it is lent to.
	IconRendering
	// IconMyJobRendering: one of my jobs renders.
	IconMyJobRendering
	// IconMyJobFailed: one of my jobs failed, and I have not looked at it yet.
	IconMyJobFailed
)

// IconFor picks the tray icon for a state: the first of these that holds.
//
//  1. IconMyJobFailed: a listed Manager's farm has a job of mine that failed unseen
//     (ManagerFarm.UnseenFailed), whether that Manager answers now or not. The only state that asks
//     me to act, so nothing hides it until I have looked.
//  2. IconRendering: this computer renders for a farm it is lent to. It lasts only while I am away
//     and ends as I come back, so it hides what follows from nobody at the desk; and it is what
//     someone at this computer needs to know first: it is busy.
//  3. IconMyJobRendering: a job of mine is active on a listed Manager that answers.
//  4. IconAdvertising: the local Manager is advertised, a mode I chose (the menu shows it checked).
//  5. IconManagersFound: a listed Manager answers.
//  6. IconSearching: the first search runs.
//  7. IconNoManager: none is listed, or none of those listed answers.
//
// It is a pure function of the state: a flood of events that leave these facts as they were gives
// the same icon, and the tray sends an icon only when it changes (traySurface.Show).
func IconFor(s MenuState) IconState {
	switch {
	case myJobFailedUnseen(s):
		return IconMyJobFailed
	case rendersForAFarm(s.Lending):
		return IconRendering
	case myJobRenders(s):
		return IconMyJobRendering
	case s.Advertising.Active:
		return IconAdvertising
	case slices.ContainsFunc(s.Discovery.Managers, func(m discovery.Manager) bool { return m.Reachable }):
		return IconManagersFound
	case s.Discovery.Searching:
		return IconSearching
	default:
		return IconNoManager
	}
}

func myJobFailedUnseen(s MenuState) bool {
	return slices.ContainsFunc(s.Discovery.Managers, func(m discovery.Manager) bool {
		return len(s.Farms[m.ID].UnseenFailed) > 0
	})
}

func myJobRenders(s MenuState) bool {
	return slices.ContainsFunc(s.Discovery.Managers, func(m discovery.Manager) bool {
		return m.Reachable && slices.ContainsFunc(s.Farms[m.ID].Summary.MyJobs, func(j managerapi.Job) bool {
			return j.Status == managerapi.JobActive
		})
	})
}
