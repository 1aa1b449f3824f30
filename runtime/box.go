package runtime

import "unsafe"

// Scalar is the constraint of Box: the pointer-free numeric types of 2, 4 or 8 bytes, and the
// types defined on them. (Go boxes the one-byte types and bool without allocating, and a
// complex64 is not boxed the same way; neither is here.)
type Scalar interface {
	~int | ~int16 | ~int32 | ~int64 | ~uint | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// boxBlock is how many values a block of boxes holds: one allocation of 512 bytes (without
// pointers) stands for 64 allocations of 8.
const boxBlock = 64

// boxes is a dispatcher's block of box cells, filled from the front.
type boxes struct {
	block *[boxBlock]uint64
	left  int // cells not used yet, at the end of block
}

// Box returns v as an any, equal to any(v) in every respect but where the value is kept: in a
// cell of a block that the dispatcher allocates 64 cells at a time, instead of in an
// allocation of its own. Generated code boxes the messages and replies of scalar type with it
// (send, call and reply sites), so that a stream of int messages does not cost an allocation
// each. A block lives as long as any value boxed in it is referenced: a program that keeps one
// message out of many keeps 512 bytes for it. A value whose bits are below 256 is boxed as Go
// boxes it, in a static table. Box is called on t's dispatcher goroutine.
func Box[T Scalar](t *Tasklet, v T) any {
	// Go boxes the values whose bits are below 256 in a static table, without allocating.
	var bits uint64
	switch unsafe.Sizeof(v) {
	case 8:
		bits = *(*uint64)(unsafe.Pointer(&v))
	case 4:
		bits = uint64(*(*uint32)(unsafe.Pointer(&v)))
	default:
		bits = uint64(*(*uint16)(unsafe.Pointer(&v)))
	}
	if bits < 256 {
		return any(v)
	}
	b := &t.d.boxes
	if b.left == 0 {
		b.refill()
	}
	p := unsafe.Pointer(&b.block[boxBlock-b.left])
	b.left--
	*(*T)(p) = v
	// An interface holding a value of a non-pointer type is the pair (type, pointer to the
	// value). The type word is that of any(T's zero value), read as an integer so that the
	// conversion stays on the stack (a type descriptor of a type known to the compiler is
	// static data, never moved or freed); the value word is the cell.
	var zero T
	z := any(zero)
	typ := *(*uintptr)(unsafe.Pointer(&z))
	e := eface{*(*unsafe.Pointer)(unsafe.Pointer(&typ)), p}
	return *(*any)(unsafe.Pointer(&e))
}

// eface is the layout of an interface with no methods: its dynamic type and its value word.
type eface struct {
	typ, data unsafe.Pointer
}

// refill starts a new block of cells.
func (b *boxes) refill() {
	b.block = new([boxBlock]uint64)
	b.left = boxBlock
}
