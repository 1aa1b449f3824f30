package procstat

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSelf(t *testing.T) {
	pid := os.Getpid()
	c0, err := CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Burn a little CPU so the counter (10 ms ticks) must move.
	end := time.Now().Add(60 * time.Millisecond)
	x := 0
	for time.Now().Before(end) {
		x++
	}
	c1, err := CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if c1 <= c0 {
		t.Errorf("CPU did not advance: %v then %v (x=%d)", c0, c1, x)
	}
	m, err := Mem(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("Mem = %+v; want 0 < RSS <= Peak", m)
	}
}

func TestMissing(t *testing.T) {
	if _, err := CPU(-1); err == nil {
		t.Error("CPU(-1): no error")
	}
	if _, err := Mem(-1); err == nil {
		t.Error("Mem(-1): no error")
	}
}

func TestLoadAvg(t *testing.T) {
	got := LoadAvg()
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		if got != "?" {
			t.Errorf("LoadAvg() = %q without /proc/loadavg, want ?", got)
		}
		return
	}
	if f := strings.Fields(got); len(f) != 3 {
		t.Errorf("LoadAvg() = %q, want three fields", got)
	}
}
