package lending

import (
	"context"
	"runtime"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	total, busy, err := parseProcStat("cpu  4705 356 584 3699176 23 23 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	if err != nil || total != 4705+356+584+3699176+23+23 || busy != 4705+356+584+23 {
		t.Errorf("total %d busy %d, %v", total, busy, err)
	}
	if _, _, err := parseProcStat("intr 1 2 3"); err == nil {
		t.Error("a file without the cpu line was read")
	}
}

func TestParsePIDStat(t *testing.T) {
	// A command name with a space and a parenthesis, as a process may name itself.
	ppid, ticks, err := parsePIDStat("4242 (blender (x) 4.2) S 4200 4242 4200 0 -1 4194560 1000 0 0 0 730 120 0 0 20 0 8 0 100 0 0")
	if err != nil || ppid != 4200 || ticks != 850 {
		t.Errorf("ppid %d ticks %d, %v", ppid, ticks, err)
	}
}

func TestOtherShareLeavesTheWorkersTreeOut(t *testing.T) {
	parent := map[int]int{100: 1, 200: 100, 300: 200, 400: 1}
	ticks := map[int]uint64{100: 10, 200: 30, 300: 60, 400: 1000}
	if got := treeTicks(100, parent, ticks); got != 100 {
		t.Errorf("the Worker's tree used %d ticks, want 100 (it, its child and grandchild)", got)
	}
	// 4 CPUs for 1 s at 100 ticks/s: 400 ticks; 300 busy, 200 of them the Worker's.
	got := otherShare(cpuSample{total: 1000, busy: 500, worker: 50}, cpuSample{total: 1400, busy: 800, worker: 250})
	if got != 0.25 {
		t.Errorf("other programs' share %v, want 0.25", got)
	}
}

// On Linux the meter reads /proc for real.
func TestLoadMeterReadsThisSystem(t *testing.T) {
	m := NewLoadMeter(func() int { return 0 })
	share, err := m.Read(context.Background())
	if runtime.GOOS != "linux" {
		if err != ErrLoadUnsupported {
			t.Errorf("err %v, want ErrLoadUnsupported", err)
		}
		return
	}
	if err != nil || share < 0 || share > 1 {
		t.Errorf("share %v, %v", share, err)
	}
}
