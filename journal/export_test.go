package journal

// File is the interface a Writer writes through, exported for tests.
type File = file

// WrapFile replaces w's file by wrap(its file). Tests use it to inject
// faults and count fsyncs; call it before the first Append.
func WrapFile(w *Writer, wrap func(File) File) { w.f = wrap(w.f) }

// SetReserveChunks sets the size of the space Create reserves and of each
// later extension, until the returned function restores them. Tests use
// small sizes to make a writer extend often.
func SetReserveChunks(first, chunk int64) (restore func()) {
	f, c := reserveFirst, reserveChunk
	reserveFirst, reserveChunk = first, chunk
	return func() { reserveFirst, reserveChunk = f, c }
}
