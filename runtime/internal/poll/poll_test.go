package poll

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type recorder struct{ evs []Events }

func (r *recorder) PollReady(ev Events) { r.evs = append(r.evs, ev) }

func TestPipeReadiness(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r := &recorder{}
	if err := p.Register(fds[0], Readable|EdgeTriggered, r); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 {
		t.Fatalf("Len = %d", p.Len())
	}
	if n, err := p.Wait(0); err != nil || n != 0 || len(r.evs) != 0 {
		t.Fatalf("empty pipe: n=%d err=%v evs=%v", n, err, r.evs)
	}
	unix.Write(fds[1], []byte("x"))
	if n, err := p.Wait(time.Second); err != nil || n != 1 || len(r.evs) != 1 || r.evs[0]&Readable == 0 {
		t.Fatalf("after write: n=%d err=%v evs=%v", n, err, r.evs)
	}
	if err := p.Unregister(fds[0]); err != nil || p.Len() != 0 {
		t.Fatalf("Unregister: %v, Len %d", err, p.Len())
	}
}

// Wake from other goroutines ends a blocked Wait; a wake before the Wait is not lost.
func TestWake(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Wake()
	start := time.Now()
	if _, err := p.Wait(-1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Millisecond)
			p.Wake()
		}()
	}
	if _, err := p.Wait(-1); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if time.Since(start) > 10*time.Second {
		t.Fatal("Wait did not wake")
	}
}

func TestWaitTimeout(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	if _, err := p.Wait(5 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Fatalf("returned after %v", d)
	}
}

// A timeout below a millisecond is honoured through the timerfd: never early.
func TestWaitSubMillisecond(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 5 {
		start := time.Now()
		if _, err := p.Wait(300 * time.Microsecond); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Microsecond {
			t.Fatalf("returned after %v", d)
		}
	}
}
