package runtime

import (
	"testing"
	"unsafe"
)

// TestTaskletRecordSize guards the size of the tasklet record: 128 bytes fill an 8 KiB slab
// exactly (64 records), and every parked tasklet pays for it.
func TestTaskletRecordSize(t *testing.T) {
	if got := unsafe.Sizeof(Tasklet{}); got > 128 {
		t.Errorf("Tasklet is %d bytes, want at most 128", got)
	}
	if slabSize*int(unsafe.Sizeof(Tasklet{})) > 8192 {
		t.Errorf("a slab of %d tasklets exceeds 8 KiB", slabSize)
	}
}
