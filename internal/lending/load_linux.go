package lending

import (
	"os"
	"path/filepath"
	"strconv"
)

// readCPU samples /proc: all CPUs' ticks, and the Worker's process tree's.
func readCPU(workerPID int) (cpuSample, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, err
	}
	total, busy, err := parseProcStat(string(data))
	if err != nil {
		return cpuSample{}, err
	}
	s := cpuSample{total: total, busy: busy}
	if workerPID == 0 {
		return s, nil
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	parent, ticks := make(map[int]int, len(dirs)), make(map[int]uint64, len(dirs))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		if pp, t, err := parsePIDStat(string(stat)); err == nil {
			parent[pid], ticks[pid] = pp, t
		}
	}
	s.worker = treeTicks(workerPID, parent, ticks)
	return s, nil
}
