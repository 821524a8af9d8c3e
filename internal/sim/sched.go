package sim

import (
	"container/heap"
	"time"

	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// sched runs callbacks and goroutine tasks in virtual time. Exactly one goroutine runs at a
// time: the event loop hands control to a task and waits until the task sleeps or ends. That
// makes the engine, which may run several flows at once, deterministic for a seed while still
// letting a slow or rate-limited call hold up only the flow that made it, as it would in
// production.
type sched struct {
	clock *tobirasync.ManualClock
	q     events
	seq   uint64
	yield chan struct{}
}

type event struct {
	at  time.Time
	seq uint64
	fn  func()
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

func newSched(clock *tobirasync.ManualClock) *sched {
	return &sched{clock: clock, yield: make(chan struct{})}
}

func (s *sched) now() time.Time { return s.clock.Now() }

// at runs fn on the event loop at t (or now, if t has passed).
func (s *sched) at(t time.Time, fn func()) {
	s.seq++
	heap.Push(&s.q, event{at: t, seq: s.seq, fn: fn})
}

// every runs fn at start and then every d until end.
func (s *sched) every(start time.Time, d time.Duration, end time.Time, fn func()) {
	var tick func()
	next := start
	tick = func() {
		fn()
		next = next.Add(d)
		if !next.After(end) {
			s.at(next, tick)
		}
	}
	s.at(start, tick)
}

// spawn starts fn as a task and returns when it first sleeps or ends. Call it from the loop.
func (s *sched) spawn(fn func()) {
	go func() {
		fn()
		s.yield <- struct{}{}
	}()
	<-s.yield
}

// sleep suspends the calling task for d of virtual time. Call it only from a task.
func (s *sched) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	wake := make(chan struct{})
	s.at(s.now().Add(d), func() {
		wake <- struct{}{}
		<-s.yield
	})
	s.yield <- struct{}{}
	<-wake
}

// parallel runs fns as tasks of their own and suspends the calling task until every one has
// ended: the engine's Options.Parallel in virtual time. Call it only from a task.
func (s *sched) parallel(fns ...func()) {
	left := len(fns)
	if left == 0 {
		return
	}
	wake := make(chan struct{})
	for _, fn := range fns {
		s.at(s.now(), func() {
			s.spawn(func() {
				fn()
				// Only one task runs at a time, and the hand-overs order these writes.
				if left--; left == 0 {
					s.at(s.now(), func() {
						wake <- struct{}{}
						<-s.yield
					})
				}
			})
		})
	}
	s.yield <- struct{}{}
	<-wake
}

// run processes events until none is left before end, leaving the clock at end.
func (s *sched) run(end time.Time) {
	for s.q.Len() > 0 {
		if s.q[0].at.After(end) {
			break
		}
		ev := heap.Pop(&s.q).(event)
		s.clock.Set(ev.at)
		ev.fn()
	}
	s.clock.Set(end)
}
