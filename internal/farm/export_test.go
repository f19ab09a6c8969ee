package farm

// QueueBehind queues e behind every event w has queued so far: a test's OnEvent that gets it knows
// that every earlier event was handed over (the queue keeps the order).
func QueueBehind(w *Watcher, e Event) { w.events.push(e) }
