// Package journal stores recorded HTTP exchanges as JSON Lines and reads
// them back.
//
// A journal is a header line (format name and version, tool version, start
// time, upstream, MITM CA fingerprint) followed by one Exchange per line:
// sequence number, connection id, start and end times, the request and the
// response with their headers in received order and their bodies in base64
// with a SHA-256 and a truncation flag, or the error that stood in for the
// response.
//
// Writer appends with a choice of durability (Sync): by default every
// Append returns only once its record is on disk, and concurrent appends
// share fsyncs (group commit, started as soon as the previous fsync ends,
// never on a timer). Reader streams a journal line by line and never holds
// more than one line: a corrupt line is reported with its file and line
// number and can be skipped, and a torn last line, left by a crash
// mid-write, is reported in Reader.Torn and skipped. Zero bytes, which no
// record holds, are space a writer reserved ahead of its records: a run of
// them ending the file, left when the writer was not closed, ends the
// journal and is counted in Reader.ZeroTail; zero bytes followed by data,
// left when a crash lost some pages but not later ones, make their line a
// corrupt record. Zero bytes are counted, never held in memory.
//
// WriteHAR and ReadHAR convert to and from HAR 1.2 for interchange with
// browsers, mitmproxy and ZAP, one entry at a time; journal → HAR →
// journal is lossless.
//
// The package knows nothing of ACME (package decode reads the exchanges)
// and does no redaction: a journal is the raw local record, created 0600.
package journal
