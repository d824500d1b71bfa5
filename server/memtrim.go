package server

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// trimInterval is how often the server looks for freed heap it still holds.
const trimInterval = 10 * time.Second

// trimThreshold is how much free heap makes a trim worth a forced GC.
const trimThreshold = 4 << 20

// trimMemory hands freed heap back to the operating system. A burst of logins leaves
// megabytes of garbage from TLS handshakes and SASL; Go's background scavenger returns it
// only slowly, so on a small board the box would look (and be) several megabytes heavier
// for minutes. A forced collection every few seconds costs little when the heap is that
// small, and only runs when there is something to give back.
func trimMemory(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	tick := time.NewTicker(trimInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > trimThreshold {
			debug.FreeOSMemory()
		}
	}
}
