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
	IconRendering      // this computer renders for a farm it is lent to
	IconMyJobRendering // one of my jobs renders
	IconMyJobFailed    // one of my jobs failed, and I have not looked at it yet
)

// IconFor picks the tray icon for a state: the first case that holds. An unseen failure asks me to
// act, so nothing hides it, whether its Manager answers or not; rendering for a farm comes next, as
// it lasts only while nobody is at the desk and says first that this computer is busy. A pure
// function: the tray sends an icon only when it changes (traySurface.Show).
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
