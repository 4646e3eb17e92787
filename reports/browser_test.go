package reports_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/reports/internal/chromium"
)

// artifactDir is where the browser test keeps its screenshots: the
// directory $ACMEPROXY_ARTIFACTS names, else a test temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ACMEPROXY_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// pageFacts is what the browser test reads from the loaded page.
type pageFacts struct {
	Findings      int      `json:"findings"`
	Lanes         int      `json:"lanes"`
	Markers       int      `json:"markers"`
	Exchanges     int      `json:"exchanges"`
	Accounts      int      `json:"accounts"`
	BrokenAnchors []string `json:"brokenAnchors"`
	Resources     int      `json:"resources"`
	Verdict       string   `json:"verdict"`
	DrawnKeys     []string `json:"drawnKeys"`
	Budgeted      bool     `json:"budgeted"`
}

const factsJS = `(() => {
  const q = s => document.querySelectorAll(s);
  const broken = Array.from(q('a[href^="#"]')).map(a => a.getAttribute('href'))
    .filter(h => h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1))));
  return {
    findings: q('article.finding').length,
    lanes: q('.lane').length,
    markers: q('.lane .m').length,
    exchanges: q('details.x').length,
    accounts: q('details.account').length,
    brokenAnchors: Array.from(new Set(broken)),
    resources: performance.getEntriesByType('resource').length,
    verdict: document.querySelector('.verdict').textContent.trim(),
    drawnKeys: Array.from(q('details.account')).map(d => d.dataset.key),
    budgeted: Array.from(q('#exchanges .note')).some(p => p.textContent.includes('not listed here')),
  };
})()`

// clickJS follows the first evidence link and reports whether the
// exchange it names is open and shows a decoded request.
const clickJS = `new Promise(resolve => {
  const a = document.querySelector('article.finding .evidence a');
  if (!a) { resolve({skipped: true}); return; }
  const d = document.getElementById(a.getAttribute('href').slice(1));
  a.click();
  setTimeout(() => resolve({open: d.open, text: d.innerText.includes('Request'), scrolled: window.scrollY > 0}), 100);
})`

// TestHTMLInBrowser loads each HTML report in headless Chromium: no
// console error, exception or CSP violation; no resource loaded; the
// findings, lanes and exchanges are in the DOM; every in-page link has a
// target; following an evidence link opens the exchange. It keeps a
// laptop-sized and a full-page screenshot of each.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium.Find()
	if bin == "" {
		missingTool(t, "chromium", "apt-get install -y chromium")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	b, err := chromium.Launch(ctx, bin, t.TempDir(), 1366, 768)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.SetViewport(ctx, 1366, 768); err != nil {
		t.Fatal(err)
	}
	art := artifactDir(t)
	pages := scenarios(t)
	pages["large-300"] = largeReport(t, 300)
	// The lint package's reports of real recordings, read back from JSON.
	jsons := map[string][]byte{}
	addRealGoldens(t, jsons, ".json")
	for name, doc := range jsons {
		r, err := reports.ReadJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pages[name] = r
	}
	html := mustFormat(t, "html")
	for _, name := range sortedKeys(pages) {
		t.Run(name, func(t *testing.T) {
			r := pages[name]
			path := filepath.Join(art, name+".html")
			if err := os.WriteFile(path, render(t, html, r, reports.Options{}), 0o644); err != nil {
				t.Fatal(err)
			}
			before := len(b.Problems())
			start := time.Now()
			if err := b.Navigate(ctx, (&url.URL{Scheme: "file", Path: path}).String()); err != nil {
				t.Fatalf("%v\n%s", err, b.Stderr())
			}
			t.Logf("%s: loaded in %v", name, time.Since(start).Round(time.Millisecond))
			var f pageFacts
			if err := b.Eval(ctx, factsJS, &f); err != nil {
				t.Fatal(err)
			}
			checkFacts(t, r, f)
			var click struct {
				Skipped, Open, Text bool
			}
			if err := b.Eval(ctx, clickJS, &click); err != nil {
				t.Fatal(err)
			}
			if !click.Skipped && (!click.Open || !click.Text) {
				t.Errorf("following an evidence link: exchange open=%v, shows request=%v", click.Open, click.Text)
			}
			if err := b.Eval(ctx, `window.scrollTo(0, 0)`, nil); err != nil {
				t.Fatal(err)
			}
			shoot(ctx, t, b, filepath.Join(art, name+".png"), false)
			shoot(ctx, t, b, filepath.Join(art, name+".full.png"), true)
			if err := b.Eval(ctx, `document.getElementById('accounts').scrollIntoView()`, nil); err != nil {
				t.Fatal(err)
			}
			shoot(ctx, t, b, filepath.Join(art, name+".timeline.png"), false)
			for _, p := range b.Problems()[before:] {
				t.Errorf("browser: %s", p)
			}
		})
	}
}

// checkFacts compares what the page shows with the report: every finding
// (suppressed ones too); every account with a finding or a flag drawn;
// the lanes of the drawn accounts; the exchanges cited by findings or by
// the events of drawn accounts, and no other.
func checkFacts(t *testing.T, r *reports.Report, f pageFacts) {
	t.Helper()
	if want := len(r.Findings) + len(r.Suppressed); f.Findings != want {
		t.Errorf("findings in the DOM: %d, want %d", f.Findings, want)
	}
	lanes, cited := expectedDOM(t, r, f.DrawnKeys)
	if f.Lanes != lanes {
		t.Errorf("lanes in the DOM: %d, want %d", f.Lanes, lanes)
	}
	if f.Exchanges != cited && !f.Budgeted {
		t.Errorf("exchanges in the DOM: %d, want %d", f.Exchanges, cited)
	}
	if f.Exchanges > cited {
		t.Errorf("exchanges in the DOM: %d, want at most %d", f.Exchanges, cited)
	}
	if len(f.BrokenAnchors) > 0 {
		t.Errorf("links without a target: %v", f.BrokenAnchors)
	}
	if f.Resources != 0 {
		t.Errorf("the page loaded %d resources; it must load none", f.Resources)
	}
	t.Logf("DOM: %d findings, %d accounts drawn, %d lanes, %d markers, %d exchanges; verdict %q",
		f.Findings, f.Accounts, f.Lanes, f.Markers, f.Exchanges, f.Verdict)
}

// expectedDOM returns how many lanes and exchanges the page should show
// when the accounts with these keys are drawn, and checks that every
// account with a finding is among them.
func expectedDOM(t *testing.T, r *reports.Report, drawnKeys []string) (lanes, exchanges int) {
	t.Helper()
	drawn := map[string]bool{}
	for _, k := range drawnKeys {
		drawn[k] = true
	}
	type xkey struct {
		file string
		seq  uint64
	}
	cited := map[xkey]bool{}
	for _, list := range [][]reports.Finding{r.Findings, r.Suppressed} {
		for _, fd := range list {
			if fd.Account != "" && !drawn[fd.Account] {
				t.Errorf("account %s has a finding but no drawn timeline", fd.Account)
			}
			for _, e := range fd.Evidence {
				cited[xkey{e.File, e.Seq}] = true
			}
		}
	}
	for _, a := range r.Flow.Accounts {
		if !drawn[a.Key] {
			continue
		}
		evs := a.Events
		lanes += len(a.Lanes)
		if len(a.Events) > 0 {
			lanes++
		}
		for _, l := range a.Lanes {
			evs = append(evs, l.Events...)
		}
		for _, e := range evs {
			cited[xkey{e.Ref.File, e.Ref.Seq}] = true
		}
	}
	return lanes, len(cited)
}

// shoot saves a screenshot.
func shoot(ctx context.Context, t *testing.T, b *chromium.Browser, path string, full bool) {
	t.Helper()
	png, err := b.Screenshot(ctx, full, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}
