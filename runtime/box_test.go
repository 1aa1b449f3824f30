package runtime

import (
	"math"
	"reflect"
	"runtime"
	"testing"
)

type boxedID int32

// boxAll boxes one value of every kind Box takes, through Box and through any().
func boxAll(t *Tasklet, i int) (got, want []any) {
	f := float64(i) + 0.5
	vs := []struct{ got, want any }{
		{Box(t, i), any(i)},
		{Box(t, int16(-i)), any(int16(-i))},
		{Box(t, int32(i)<<8), any(int32(i) << 8)},
		{Box(t, int64(-i)*1e9), any(int64(-i) * 1e9)},
		{Box(t, uint(i)), any(uint(i))},
		{Box(t, uint16(i)), any(uint16(i))},
		{Box(t, uint32(i)+1<<31), any(uint32(i) + 1<<31)},
		{Box(t, math.MaxUint64-uint64(i)), any(math.MaxUint64 - uint64(i))},
		{Box(t, uintptr(i)), any(uintptr(i))},
		{Box(t, float32(f)), any(float32(f))},
		{Box(t, f), any(f)},
		{Box(t, math.Inf(-1)), any(math.Inf(-1))},
		{Box(t, boxedID(i)), any(boxedID(i))},
	}
	for _, v := range vs {
		got, want = append(got, v.got), append(want, v.want)
	}
	return got, want
}

// Box gives interfaces equal to any(v): same dynamic type, same value, across blocks.
func TestBoxEqualsConversion(t *testing.T) {
	d := NewDispatcher()
	tk := d.newTasklet()
	tk.d = d
	var kept []any
	for i := range 3 * boxBlock {
		got, want := boxAll(tk, i)
		for j := range got {
			if got[j] != want[j] || reflect.TypeOf(got[j]) != reflect.TypeOf(want[j]) {
				t.Fatalf("value %d of round %d: Box gave %T %v, want %T %v", j, i, got[j], got[j], want[j], want[j])
			}
		}
		kept = append(kept, got...)
	}
	runtime.GC() // the blocks stay alive while their values are referenced
	for i := range 3 * boxBlock {
		_, want := boxAll(tk, i)
		for j, w := range want {
			if g := kept[i*len(want)+j]; g != w {
				t.Fatalf("after a GC, value %d of round %d is %v, want %v", j, i, g, w)
			}
		}
	}
	if n, ok := kept[len(kept)-1].(boxedID); !ok || n != boxedID(3*boxBlock-1) {
		t.Fatalf("type assertion of a boxed defined type: %v, %v", n, ok)
	}
}

// Box allocates one block per boxBlock values, and nothing else.
func TestBoxAllocations(t *testing.T) {
	d := NewDispatcher()
	tk := d.newTasklet()
	tk.d = d
	var sink any
	i := 1000
	allocs := testing.AllocsPerRun(100, func() {
		for range boxBlock {
			i++
			sink = Box(tk, i)
			sink = Box(tk, float64(i))
			sink = Box(tk, int16(i))
			sink = Box(tk, uint32(i))
		}
	})
	_ = sink
	if allocs != 4 {
		t.Fatalf("%v allocations per %d values of each of 4 types, want 4 (one block of %d)", allocs, boxBlock, boxBlock)
	}
}

// Small values are boxed as Go boxes them, without allocating: Box takes no cell for them.
func TestBoxSmallValuesTakeNoCell(t *testing.T) {
	d := NewDispatcher()
	tk := d.newTasklet()
	tk.d = d
	var sink any
	allocs := testing.AllocsPerRun(100, func() {
		for i := range 256 {
			sink = Box(tk, i)
			sink = Box(tk, uint16(i))
			sink = Box(tk, int32(i))
		}
	})
	_ = sink
	if allocs != 0 || d.boxes.block != nil {
		t.Fatalf("%v allocations, block %p; want none", allocs, d.boxes.block)
	}
	if Box(tk, 255) != any(255) || Box(tk, float32(1e-44)) != any(float32(1e-44)) || Box(tk, int16(-1)) != any(int16(-1)) {
		t.Fatal("small values boxed wrong")
	}
}
