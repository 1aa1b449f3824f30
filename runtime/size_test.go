package runtime

import (
	goruntime "runtime"
	"testing"
	"unsafe"
)

// TestTaskletRecordSize guards the size of the tasklet record, which every parked tasklet pays
// for: 104 bytes, 78 to a slab of the 8 KiB size class.
func TestTaskletRecordSize(t *testing.T) {
	if got := unsafe.Sizeof(Tasklet{}); got > 104 {
		t.Errorf("Tasklet is %d bytes, want at most 104", got)
	}
	if got := slabSize*int(unsafe.Sizeof(Tasklet{})) + mallocHeader; got > 8192 {
		t.Errorf("a slab of %d tasklets takes %d bytes with the allocator's header, more than 8 KiB", slabSize, got)
	}
}

// TestSlabSizeClass checks that a slab of tasklets is allocated in 8 KiB: one slab per
// slabSize spawns, 8192 bytes each.
func TestSlabSizeClass(t *testing.T) {
	d := NewDispatcher()
	d.newTasklet() // the first slab
	got := testing.AllocsPerRun(10, func() {
		for range slabSize {
			d.newTasklet()
		}
	})
	if got != 1 {
		t.Fatalf("%v allocations per %d tasklets, want 1", got, slabSize)
	}
	var ms0, ms1 goruntime.MemStats
	goruntime.ReadMemStats(&ms0)
	for range 100 * slabSize {
		d.newTasklet()
	}
	goruntime.ReadMemStats(&ms1)
	if per := (ms1.TotalAlloc - ms0.TotalAlloc) / 100; per < 8192 || per >= 9472 {
		t.Errorf("a slab takes %d bytes, want 8192 (the next size class is 9472)", per)
	}
}

// TestWaiterElem checks what Tasklet.elem relies on: an unsafe.Pointer stored in the value
// register is the interface's data word, and a nil register reads as nil.
func TestWaiterElem(t *testing.T) {
	var tk Tasklet
	if tk.elem() != nil {
		t.Fatal("elem of a nil register is not nil")
	}
	x := 42
	tk.value = unsafe.Pointer(&x)
	if p := tk.elem(); p != unsafe.Pointer(&x) {
		t.Fatalf("elem = %p, want %p", p, &x)
	}
	tk.value = unsafe.Pointer(nil)
	if tk.elem() != nil {
		t.Fatal("elem of a nil unsafe.Pointer is not nil")
	}
}
