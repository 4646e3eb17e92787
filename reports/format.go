package reports

import (
	"io"
	"slices"
)

// Writer renders a report in one format. It only reads the report; it
// fails only when writing to w fails.
type Writer func(w io.Writer, r *Report, o Options) error

// Options tune the renderers. The zero value gives every default.
type Options struct {
	// BaseDir is the directory recording paths are made relative to in
	// SARIF (the repository root, usually the working directory). Empty:
	// relative paths are taken as repository-relative and absolute paths
	// become file: URIs.
	BaseDir string
	// MaxMarkdownBytes bounds the Markdown output; default 64 KiB
	// (GitHub's step summary limit is 1 MiB, its comment limit 64 K
	// characters).
	MaxMarkdownBytes int
	// MaxPassing bounds the passing JUnit test cases per rule and
	// recording; the rest are counted in one case. Default 1000.
	MaxPassing int
	// MaxBodyBytes bounds each body shown in HTML; default 16 KiB.
	MaxBodyBytes int
	// MaxHTMLBodyBytes bounds what the HTML spends on opened exchanges
	// (bodies, headers and their markup, as escaped HTML); past it,
	// exchanges cited by findings show their request line and status
	// only and the others are not listed. Default 1.5 MiB.
	MaxHTMLBodyBytes int
	// Color makes the text output use ANSI colours.
	Color bool
}

func (o Options) withDefaults() Options {
	if o.MaxMarkdownBytes <= 0 {
		o.MaxMarkdownBytes = 64 << 10
	}
	if o.MaxPassing <= 0 {
		o.MaxPassing = 1000
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 16 << 10
	}
	if o.MaxHTMLBodyBytes <= 0 {
		o.MaxHTMLBodyBytes = 3 << 19
	}
	return o
}

// Format is one output format.
type Format struct {
	// Name is what --format takes: text, json, sarif, junit, markdown,
	// html.
	Name string
	// Ext is the usual file extension, with its dot.
	Ext string
	// Write renders the format.
	Write Writer
}

// Formats lists every format, text first.
func Formats() []Format {
	return []Format{
		{Name: "text", Ext: ".txt", Write: WriteText},
		{Name: "json", Ext: ".json", Write: WriteJSON},
		{Name: "sarif", Ext: ".sarif", Write: WriteSARIF},
		{Name: "junit", Ext: ".xml", Write: WriteJUnit},
		{Name: "markdown", Ext: ".md", Write: WriteMarkdown},
		{Name: "html", Ext: ".html", Write: WriteHTML},
	}
}

// Lookup returns the format called name ("md" is accepted for markdown).
func Lookup(name string) (Format, bool) {
	if name == "md" {
		name = "markdown"
	}
	i := slices.IndexFunc(Formats(), func(f Format) bool { return f.Name == name })
	if i < 0 {
		return Format{}, false
	}
	return Formats()[i], true
}
