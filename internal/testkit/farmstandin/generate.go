package farmstandin

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Scale describes a generated farm.
type Scale struct {
	Workers, Jobs int
	Users         []string // job owners (metadata user.name), in turn
	Seed          uint64
}

// Generate fills the farm with s.Workers Workers and s.Jobs jobs like a studio's after some weeks:
// most jobs completed, a few active, queued, paused or failed; Workers mostly awake or asleep, some
// offline. A job's JSON is as large as a real one's: an unfiltered query of 1,000 jobs is some 370 KB
// on a real Manager, and here (behaviour_test.go). Each Worker and job added is told on the event
// bus: generate before clients connect, as more than 500 frames at once overflow a client's queue.
func (f *Farm) Generate(s Scale) {
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	workerStatuses := []string{"awake", "awake", "awake", "awake", "asleep", "asleep", "offline", "error"}
	for i := range s.Workers {
		f.AddWorker(WorkerSpec{ID: seededID(rng), Name: fmt.Sprintf("render-%03d", i+1),
			Status: workerStatuses[rng.IntN(len(workerStatuses))]})
	}
	jobStatuses := []struct {
		status string
		weight int
	}{{"completed", 900}, {"failed", 30}, {"canceled", 20}, {"active", 10}, {"queued", 30}, {"paused", 10}}
	total := 0
	for _, js := range jobStatuses {
		total += js.weight
	}
	for i := range s.Jobs {
		pick, status := rng.IntN(total), ""
		for _, js := range jobStatuses {
			if pick < js.weight {
				status = js.status
				break
			}
			pick -= js.weight
		}
		user := ""
		if len(s.Users) > 0 {
			user = s.Users[i%len(s.Users)]
		}
		name := fmt.Sprintf("sq%02d_sh%03d_lighting_v%02d", i%40, i%400, 1+i%9)
		f.SubmitJob(JobSpec{ID: seededID(rng), Name: name, User: user, Status: status,
			Settings: map[string]any{"chunk_size": 10, "frames": "1-240"}})
	}
	// Spread the jobs over the last weeks, oldest first, as the Manager's table holds them.
	f.mu.Lock()
	start := f.now().UTC().Add(-time.Duration(len(f.jobs)) * 20 * time.Minute)
	for i, j := range f.jobs {
		j.Created = start.Add(time.Duration(i) * 20 * time.Minute)
		j.Updated = j.Created.Add(time.Duration(1+rng.IntN(600)) * time.Second)
	}
	f.mu.Unlock()
}

func seededID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
