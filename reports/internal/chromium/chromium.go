// Package chromium drives a headless Chromium over the DevTools protocol
// for tests of the HTML report: load a page from a file: URL, collect
// console errors, uncaught exceptions and log errors (Content-Security-
// Policy violations among them), evaluate JavaScript, and take
// screenshots.
//
// It is a test helper: a minimal client over golang.org/x/net/websocket
// that knows only the few protocol methods the tests use. The browser runs
// with a fresh profile, no sandbox (tests run as root), no GPU and every
// background network feature off, so a page that loads nothing from the
// network produces no traffic.
package chromium

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// Find returns the path of a Chromium binary on PATH ("chromium",
// "chromium-browser", "google-chrome"), or "" when there is none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a running headless Chromium with one page attached.
type Browser struct {
	cmd    *exec.Cmd
	ws     *websocket.Conn
	stderr *tailBuffer

	mu       sync.Mutex
	nextID   int
	pending  map[int]chan reply
	problems []string
	events   map[string][]chan json.RawMessage
	readErr  error
	done     chan struct{}
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Launch starts Chromium with profile directory dir and attaches to its
// first page. The window is width×height CSS pixels. Close stops it.
func Launch(ctx context.Context, binary, dir string, width, height int) (*Browser, error) {
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		"--user-data-dir=" + dir, "--remote-debugging-port=0", "--remote-allow-origins=*",
		fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank",
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	ownGroup(cmd)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("chromium: starting %s: %w", binary, err)
	}
	b := &Browser{cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, pending: map[int]chan reply{},
		events: map[string][]chan json.RawMessage{}, done: make(chan struct{})}
	endpoint, err := waitEndpoint(ctx, errPipe, b.stderr)
	if err != nil {
		b.kill()
		return nil, err
	}
	pageURL, err := firstPage(ctx, endpoint)
	if err != nil {
		b.kill()
		return nil, err
	}
	ws, err := websocket.Dial(pageURL, "", "http://127.0.0.1/")
	if err != nil {
		b.kill()
		return nil, fmt.Errorf("chromium: connecting to %s: %w", pageURL, err)
	}
	ws.MaxPayloadBytes = 128 << 20
	b.ws = ws
	go b.readLoop()
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if _, err := b.Call(ctx, m, nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// waitEndpoint reads Chromium's stderr until it prints its DevTools
// address ("DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…")
// and keeps draining it into tail afterwards.
func waitEndpoint(ctx context.Context, r io.Reader, tail *tailBuffer) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if _, rest, ok := strings.Cut(line, "DevTools listening on "); ok && !sent {
				found <- strings.TrimSpace(rest)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case ws, ok := <-found:
		if !ok {
			return "", fmt.Errorf("chromium exited before listening; stderr:\n%s", tail.String())
		}
		return ws, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-timer.C:
		return "", fmt.Errorf("chromium did not start within 30s; stderr:\n%s", tail.String())
	}
}

// firstPage returns the DevTools websocket URL of the browser's first page.
func firstPage(ctx context.Context, browserWS string) (string, error) {
	host := strings.TrimPrefix(browserWS, "ws://")
	host, _, _ = strings.Cut(host, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	if err != nil {
		return "", fmt.Errorf("chromium: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var targets []struct {
				Type string `json:"type"`
				WS   string `json:"webSocketDebuggerUrl"`
			}
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, t := range targets {
				if t.Type == "page" && t.WS != "" {
					return t.WS, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("chromium: no page target at %s: %v", host, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readLoop dispatches replies and events until the connection closes.
func (b *Browser) readLoop() {
	defer close(b.done)
	for {
		var msg struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			b.mu.Lock()
			b.readErr = err
			for _, ch := range b.pending {
				close(ch)
			}
			b.pending = map[int]chan reply{}
			b.mu.Unlock()
			return
		}
		b.mu.Lock()
		if msg.ID != 0 {
			if ch := b.pending[msg.ID]; ch != nil {
				ch <- msg.reply
				delete(b.pending, msg.ID)
			}
		} else {
			b.noteEvent(msg.Method, msg.Params)
		}
		b.mu.Unlock()
	}
}

// noteEvent records problems and wakes waiters; b.mu is held.
func (b *Browser) noteEvent(method string, params json.RawMessage) {
	if p := problem(method, params); p != "" {
		b.problems = append(b.problems, p)
	}
	for _, ch := range b.events[method] {
		select {
		case ch <- params:
		default:
		}
	}
}

// problem describes an event that is an error on the page, or returns "".
func problem(method string, params json.RawMessage) string {
	switch method {
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
				URL  string `json:"url"`
				Line int    `json:"lineNumber"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(params, &p)
		d := p.Details
		return fmt.Sprintf("uncaught exception at %s:%d: %s %s", d.URL, d.Line+1, d.Text, d.Exception.Description)
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(params, &p)
		if p.Type != "error" && p.Type != "assert" && p.Type != "warning" {
			return ""
		}
		var parts []string
		for _, a := range p.Args {
			parts = append(parts, fmt.Sprint(a.Value, a.Description))
		}
		return "console." + p.Type + ": " + strings.Join(parts, " ")
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		_ = json.Unmarshal(params, &p)
		if p.Entry.Level != "error" && p.Entry.Level != "warning" {
			return ""
		}
		return fmt.Sprintf("log %s (%s): %s %s", p.Entry.Level, p.Entry.Source, p.Entry.Text, p.Entry.URL)
	}
	return ""
}

// Call sends a DevTools command and returns its result.
func (b *Browser) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	if params == nil {
		params = struct{}{}
	}
	ch := make(chan reply, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("chromium: %s: connection closed: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if err := websocket.JSON.Send(b.ws, msg); err != nil {
		return nil, fmt.Errorf("chromium: sending %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("chromium: %s: connection closed", method)
		}
		if r.Error != nil {
			return nil, fmt.Errorf("chromium: %s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("chromium: %s: %w", method, ctx.Err())
	}
}

// Navigate loads url and waits for its load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	loaded := make(chan json.RawMessage, 1)
	b.mu.Lock()
	b.events["Page.loadEventFired"] = append(b.events["Page.loadEventFired"], loaded)
	b.mu.Unlock()
	res, err := b.Call(ctx, "Page.navigate", map[string]any{"url": url})
	if err != nil {
		return err
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := json.Unmarshal(res, &nav); err == nil && nav.ErrorText != "" {
		return fmt.Errorf("chromium: navigating to %s: %s", url, nav.ErrorText)
	}
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chromium: waiting for %s to load: %w", url, ctx.Err())
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value (returned by value) into out.
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	res, err := b.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("chromium: decoding the result of %q: %w", expr, err)
	}
	if r.Exception != nil {
		return fmt.Errorf("chromium: evaluating %q: %s", expr, r.Exception.Text)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// SetViewport sets the page's size in CSS pixels.
func (b *Browser) SetViewport(ctx context.Context, width, height int) error {
	_, err := b.Call(ctx, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false})
	return err
}

// Screenshot returns a PNG of the viewport, or of the whole page when
// full is set (capped at maxHeight CSS pixels).
func (b *Browser) Screenshot(ctx context.Context, full bool, maxHeight int) ([]byte, error) {
	params := map[string]any{"format": "png"}
	if full {
		var m struct {
			Content struct {
				Width  float64 `json:"width"`
				Height float64 `json:"height"`
			} `json:"cssContentSize"`
		}
		res, err := b.Call(ctx, "Page.getLayoutMetrics", nil)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(res, &m); err != nil {
			return nil, fmt.Errorf("chromium: layout metrics: %w", err)
		}
		params["captureBeyondViewport"] = true
		params["clip"] = map[string]any{"x": 0, "y": 0, "width": m.Content.Width,
			"height": min(m.Content.Height, float64(maxHeight)), "scale": 1}
	}
	res, err := b.Call(ctx, "Page.captureScreenshot", params)
	if err != nil {
		return nil, err
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &shot); err != nil {
		return nil, fmt.Errorf("chromium: screenshot: %w", err)
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// Problems returns the console errors and warnings, uncaught exceptions
// and log errors seen so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Stderr returns the end of Chromium's standard error, for diagnostics.
func (b *Browser) Stderr() string { return b.stderr.String() }

// Close stops the browser and waits for it.
func (b *Browser) Close() error {
	if b.ws != nil {
		_ = b.ws.Close()
		<-b.done
	}
	b.kill()
	return nil
}

func (b *Browser) kill() {
	if b.cmd.Process != nil {
		killGroup(b.cmd)
		err := b.cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			b.stderr.add("wait: " + err.Error())
		}
	}
}

// tailBuffer keeps the last max bytes of lines written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
