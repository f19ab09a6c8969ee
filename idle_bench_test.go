//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux everywhere).
const clockTicks = 100

// cpuAndRSS reads a process's CPU time so far and its resident memory.
func cpuAndRSS(pid int) (cpu time.Duration, rssKiB int, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	cpu = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			rssKiB, _ = strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return cpu, rssKiB, nil
}

func goBuild(b *testing.B, pkg, name string) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// BenchmarkTrayIdle runs flamenco-tray (with a Manager on the LAN, so it has something to watch: its
// farm of 200 Workers and 1,000 jobs, some of them the user's, polled as the menu needs it) and
// a minimal Fyne tray side by side under Xvfb with a D-Bus panel, lets both settle, then measures the
// CPU time each uses over an idle period (FLAMENCO_TRAY_IDLE, default 60s) and their resident memory.
func BenchmarkTrayIdle(b *testing.B) {
	netns.RequireIsolated(b)
	idle := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("FLAMENCO_TRAY_IDLE")); err == nil {
		idle = v
	}
	session := trayhost.StartSession(b)
	panel := trayhost.NewPanel(b, session)
	lan := netns.NewLAN(b)
	lan.Attach(b, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(b)
	lan.Attach(b, managerHost, netns.WithMulticastRoute())
	standin.Start(b, managerHost, "Studio Farm", standin.WithFarm(farmstandin.Scale{Workers: 200, Jobs: 1000,
		Users: []string{"alice", "bob", "carol"}, Seed: 1}))
	home := b.TempDir()
	prefDir := filepath.Join(home, "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), []byte(`{"userName":"alice"}`), 0o644); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), session.Env()...)
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home, "LANG=C.UTF-8")

	type subject struct {
		name string
		cmd  *exec.Cmd
	}
	subjects := []*subject{
		{name: "flamenco-tray", cmd: exec.Command(goBuild(b, ".", "flamenco-tray"))},
		{name: "minimal Fyne tray", cmd: exec.Command(goBuild(b, "./internal/testkit/minimaltray", "minimaltray"))},
	}
	for _, s := range subjects {
		s.cmd.Env = env
		if err := s.cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(panel.Items()) < len(subjects) {
		if ctx.Err() != nil {
			b.Fatalf("only %d of %d trays registered with the panel", len(panel.Items()), len(subjects))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(10 * time.Second) // start-up: first search, checks, menu builds

	b.ResetTimer()
	start := make([]time.Duration, len(subjects))
	for i, s := range subjects {
		cpu, _, err := cpuAndRSS(s.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		start[i] = cpu
	}
	time.Sleep(idle)
	b.StopTimer()

	fmt.Printf("\nIdle for %v under Xvfb with a D-Bus panel (%d Manager on the LAN, 200 Workers, 1,000 jobs):\n", idle, 1)
	fmt.Printf("  %-20s %12s %14s %10s\n", "", "CPU time", "CPU % of core", "RSS MiB")
	var cpus []time.Duration
	var rss []int
	for i, s := range subjects {
		cpu, kib, err := cpuAndRSS(s.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		used := cpu - start[i]
		cpus, rss = append(cpus, used), append(rss, kib)
		fmt.Printf("  %-20s %12v %13.2f%% %10.1f\n", s.name, used, 100*used.Seconds()/idle.Seconds(), float64(kib)/1024)
	}
	fmt.Printf("  targets: RSS within 15 MiB of the floor (%+.1f MiB); CPU no higher than the floor's (%v vs %v)\n",
		float64(rss[0]-rss[1])/1024, cpus[0], cpus[1])
	b.ReportMetric(cpus[0].Seconds()*1000, "tray_cpu_ms")
	b.ReportMetric(cpus[1].Seconds()*1000, "floor_cpu_ms")
	b.ReportMetric(float64(rss[0])/1024, "tray_rss_MiB")
	b.ReportMetric(float64(rss[1])/1024, "floor_rss_MiB")
}
