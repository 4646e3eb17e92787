package proxy

import (
	"net/http"
	"slices"
	"strings"

	"github.com/acmeproxy/acmeproxy/journal"
)

// requestHeaders records the request's header fields: Host first (Go keeps
// it apart from the map), then the others sorted by name, each name's
// values in received order.
func requestHeaders(req *http.Request) journal.Headers {
	out := make(journal.Headers, 0, len(req.Header)+1)
	if req.Host != "" {
		out = append(out, journal.Field{Name: "Host", Value: req.Host})
	}
	out = appendSorted(out, req.Header)
	if len(req.TransferEncoding) > 0 && req.Header.Get("Transfer-Encoding") == "" {
		out = append(out, journal.Field{Name: "Transfer-Encoding", Value: strings.Join(req.TransferEncoding, ", ")})
	}
	return out
}

// responseHeaders records the response's header fields sorted by name,
// plus Transfer-Encoding, which Go moves out of the map.
func responseHeaders(resp *http.Response) journal.Headers {
	out := make(journal.Headers, 0, len(resp.Header)+1)
	out = appendSorted(out, resp.Header)
	if len(resp.TransferEncoding) > 0 && resp.Header.Get("Transfer-Encoding") == "" {
		out = append(out, journal.Field{Name: "Transfer-Encoding", Value: strings.Join(resp.TransferEncoding, ", ")})
	}
	return out
}

func appendSorted(out journal.Headers, h http.Header) journal.Headers {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, journal.Field{Name: k, Value: v})
		}
	}
	return out
}
