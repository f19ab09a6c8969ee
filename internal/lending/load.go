package lending

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrLoadUnsupported: the load of other programs is not measured on this system yet.
var ErrLoadUnsupported = errors.New("the load of other programs is measured on Linux only")

// cpuSample is the CPU time used, in clock ticks: by everything, and by the Worker and its children
// (Blender).
type cpuSample struct {
	total, busy, worker uint64
}

// LoadMeter measures the share of the CPUs that programs other than the Worker use, between one
// reading and the next (the first reading takes a short sample).
//
// Concurrency: one goroutine reads it (a Lender's Run).
type LoadMeter struct {
	workerPID func() int // 0: no Worker runs
	last      *cpuSample
}

// NewLoadMeter returns a meter for this system; workerPID says the Worker's process, 0 for none.
func NewLoadMeter(workerPID func() int) *LoadMeter {
	return &LoadMeter{workerPID: workerPID}
}

// firstSample is how long the first reading measures.
const firstSample = 250 * time.Millisecond

// Read returns the share (0 to 1) of the CPUs that programs other than the Worker used since the
// last reading.
func (m *LoadMeter) Read(ctx context.Context) (float64, error) {
	now, err := readCPU(m.workerPID())
	if err != nil {
		return 0, err
	}
	if m.last == nil {
		m.last = &now
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(firstSample):
		}
		if now, err = readCPU(m.workerPID()); err != nil {
			return 0, err
		}
	}
	share := otherShare(*m.last, now)
	m.last = &now
	return share, nil
}

// otherShare is the share of the CPUs busy with other programs than the Worker between two samples.
func otherShare(before, after cpuSample) float64 {
	if after.total <= before.total {
		return 0
	}
	busy := float64(after.busy) - float64(before.busy)
	// The Worker's ticks: its tree at the later sample may hold a new process (a Blender started
	// since), whose earlier ticks count too; never below zero.
	worker := max(float64(after.worker)-float64(before.worker), 0)
	share := (busy - worker) / float64(after.total-before.total)
	return min(max(share, 0), 1)
}

// parseProcStat reads the first line of /proc/stat: total and busy clock ticks of all CPUs.
func parseProcStat(data string) (total, busy uint64, err error) {
	line, _, _ := strings.Cut(data, "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	// user nice system idle iowait irq softirq steal (guest time is already in user and nice)
	var ticks [8]uint64
	for i := 1; i < len(fields) && i <= len(ticks); i++ {
		if ticks[i-1], err = strconv.ParseUint(fields[i], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %q: %w", line, err)
		}
	}
	for _, t := range ticks {
		total += t
	}
	return total, total - ticks[3] - ticks[4], nil
}

// parsePIDStat reads /proc/<pid>/stat: the parent's pid and the CPU ticks the process used (user
// and system). The command name, in parentheses, may hold spaces and parentheses itself.
func parsePIDStat(data string) (ppid int, ticks uint64, err error) {
	end := strings.LastIndexByte(data, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("stat %q: no command name", data)
	}
	// After the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	fields := strings.Fields(data[end+1:])
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("stat %q: too few fields", data)
	}
	if ppid, err = strconv.Atoi(fields[1]); err != nil {
		return 0, 0, err
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	return ppid, utime + stime, nil
}

// treeTicks sums the ticks of root (a process, not 0) and its descendants, given each process's
// parent and ticks.
func treeTicks(root int, parent map[int]int, ticks map[int]uint64) uint64 {
	children := map[int][]int{}
	for pid, pp := range parent {
		children[pp] = append(children[pp], pid)
	}
	var sum uint64
	for tree := []int{root}; len(tree) > 0; tree = tree[1:] {
		sum += ticks[tree[0]]
		tree = append(tree, children[tree[0]]...)
	}
	return sum
}
