package journal

// File is the interface a Writer writes through, exported for tests.
type File = file

// WrapFile replaces w's file by wrap(its file). Tests use it to inject
// faults and count fsyncs; call it before the first Append.
func WrapFile(w *Writer, wrap func(File) File) { w.f = wrap(w.f) }
