package bigjournal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Version names the generator's output: change it when a change to the
// generator changes what it writes, so that cached journals are made
// again.
const Version = 2

// Cached returns the path of a journal for cfg in dir, and its Stats,
// generating it first when dir does not hold one yet. The file's name is
// derived from Version, cfg and the recordings' contents, so a changed
// recording or mix makes a new file; old files are left for the caller to
// remove. Concurrent callers may both generate; the last rename wins.
func Cached(ctx context.Context, dir string, cfg Config) (string, Stats, error) {
	cfg = cfg.withDefaults()
	key, err := cacheKey(cfg)
	if err != nil {
		return "", Stats{}, err
	}
	path := filepath.Join(dir, fmt.Sprintf("bigjournal-v%d-%d-%s.jsonl", Version, cfg.Exchanges, key))
	var st Stats
	if b, err := os.ReadFile(path + ".stats.json"); err == nil && json.Unmarshal(b, &st) == nil {
		if _, err := os.Stat(path); err == nil {
			return path, st, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", Stats{}, err
	}
	tmp := fmt.Sprintf("%s.tmp%d", path, os.Getpid())
	os.Remove(tmp)
	st, err = Generate(ctx, tmp, cfg)
	if err != nil {
		return "", Stats{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", Stats{}, err
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(path+".stats.json", b, 0o600); err != nil {
		return "", Stats{}, err
	}
	return path, st, nil
}

// cacheKey hashes what the output depends on, other than randomness.
func cacheKey(cfg Config) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %d\n", Version, cfg.Exchanges, cfg.Spacing)
	for _, w := range cfg.Mix {
		b, err := os.ReadFile(filepath.Join(cfg.Dir, w.Recording))
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("bigjournal: %w", err)
		}
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s %d %x\n", w.Recording, w.Weight, sum)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
