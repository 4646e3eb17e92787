package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
)

// defaultListen is the proxy's default listen address; ca trust uses it
// for the HTTPS_PROXY line.
const defaultListen = "127.0.0.1:8443"

func newCACmd(e *env) *cobra.Command {
	var caDir string
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Manage the proxy's own interception CA",
		Long: `acmeproxy signs the certificates it shows to intercepted clients with its own
ECDSA P-256 CA, created on first use in the user's configuration directory
($XDG_CONFIG_HOME/acmeproxy or ~/.config/acmeproxy; --ca-dir overrides).
The private key is kept with mode 0600; a key others can read is refused.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q (see '%s --help')", args[0], c.CommandPath(), c.CommandPath())
			}
			return c.Help()
		},
	}
	cmd.PersistentFlags().StringVar(&caDir, "ca-dir", "", "directory of the CA (ca.pem, ca-key.pem); default: the user's config directory + /acmeproxy")
	cmd.AddCommand(newCAInitCmd(e, &caDir), newCAShowCmd(e, &caDir), newCATrustCmd(e, &caDir))
	return cmd
}

func newCAInitCmd(e *env, caDir *string) *cobra.Command {
	var permit []string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the CA if there is none",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dir, err := resolveCADir(e, *caDir)
			if err != nil {
				return err
			}
			if _, err := mitmca.Load(dir); err == nil {
				if len(permit) > 0 {
					return usageErrorf("CA directory %s already holds a CA; remove it to create one with name constraints", dir)
				}
				fmt.Fprintf(e.stdout, "CA already exists in %s\n", dir)
				return nil
			} else if !errors.Is(err, mitmca.ErrNotFound) {
				return usageErrorf("CA directory %s: %w", dir, err)
			}
			ca, err := mitmca.Generate(mitmca.Options{PermittedDNSDomains: permit})
			if err != nil {
				return &exitError{code: exitEngine, err: err}
			}
			if err := ca.Save(dir); err != nil {
				return usageErrorf("CA directory %s: %w", dir, err)
			}
			fmt.Fprintf(e.stdout, "created CA in %s\nSHA-256 %s\n", dir, ca.FingerprintColons())
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&permit, "permit", nil, "limit the CA to this DNS domain and its subdomains (X.509 name constraints; repeatable)")
	return cmd
}

func newCAShowCmd(e *env, caDir *string) *cobra.Command {
	var pemOnly bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the CA certificate's location, subject, fingerprint and validity",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dir, err := resolveCADir(e, *caDir)
			if err != nil {
				return err
			}
			ca, err := mitmca.Load(dir)
			if errors.Is(err, mitmca.ErrNotFound) {
				return usageErrorf("no CA in %s (run 'acmeproxy ca init')", dir)
			} else if err != nil {
				return usageErrorf("CA directory %s: %w", dir, err)
			}
			if pemOnly {
				_, err := e.stdout.Write(ca.CertPEM)
				return err
			}
			showCA(e.stdout, ca)
			return nil
		},
	}
	cmd.Flags().BoolVar(&pemOnly, "pem", false, "print only the certificate in PEM")
	return cmd
}

func showCA(w io.Writer, ca *mitmca.CA) {
	c := ca.Cert
	constraints := "none"
	if len(c.PermittedDNSDomains) > 0 {
		constraints = "DNS " + strings.Join(c.PermittedDNSDomains, ", ")
	}
	fmt.Fprintf(w, "certificate:      %s\n", ca.CertPath())
	fmt.Fprintf(w, "subject:          %s\n", c.Subject)
	fmt.Fprintf(w, "SHA-256:          %s\n", ca.FingerprintColons())
	fmt.Fprintf(w, "valid:            %s to %s\n", c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
	fmt.Fprintf(w, "name constraints: %s\n", constraints)
}

func newCATrustCmd(e *env, caDir *string) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Print how to make common ACME clients trust the CA and use the proxy",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ca, err := loadOrCreateCA(e, *caDir)
			if err != nil {
				return err
			}
			writeTrustLines(e.stdout, ca.CertPath(), listen)
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", defaultListen, "the proxy's address, for the HTTPS_PROXY line")
	return cmd
}

// writeTrustLines prints the shell lines that point a client at the proxy
// and make it trust the CA file.
func writeTrustLines(w io.Writer, caFile, proxyAddr string) {
	q := shellQuote(caFile)
	fmt.Fprintf(w, `# Point the ACME client at the proxy:
export HTTPS_PROXY=http://%[1]s HTTP_PROXY=http://%[1]s
# and make it trust the proxy's CA (%[2]s):
export SSL_CERT_FILE=%[3]s          # OpenSSL-based clients; Python's ssl (acme-tiny)
export REQUESTS_CA_BUNDLE=%[3]s     # Python requests (certbot)
export LEGO_CA_CERTIFICATES=%[3]s   # lego
export CURL_CA_BUNDLE=%[3]s         # curl (dehydrated)
export NODE_EXTRA_CA_CERTS=%[3]s    # Node.js clients
# SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace the system roots: hosts that
# are tunnelled rather than intercepted then fail verification, unless the
# file also holds those roots.
`, proxyAddr, caFile, q)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// loadOrCreateCA loads the CA, creating it on first use (and saying so on
// stderr). Any failure is a usage error naming the directory.
func loadOrCreateCA(e *env, flagDir string) (*mitmca.CA, error) {
	dir, err := resolveCADir(e, flagDir)
	if err != nil {
		return nil, err
	}
	ca, created, err := mitmca.LoadOrCreate(dir, mitmca.Options{})
	if err != nil {
		return nil, usageErrorf("CA directory %s: %w", dir, err)
	}
	if created {
		fmt.Fprintf(e.stderr, "acmeproxy: created a new CA in %s (SHA-256 %s)\n", dir, ca.FingerprintColons())
	}
	return ca, nil
}

// resolveCADir returns --ca-dir, or the user's configuration directory +
// "/acmeproxy" as os.UserConfigDir would find it, but read through the
// injected environment.
func resolveCADir(e *env, flagDir string) (string, error) {
	if flagDir != "" {
		abs, err := filepath.Abs(flagDir)
		if err != nil {
			return "", usageErrorf("--ca-dir %s: %w", flagDir, err)
		}
		return abs, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = e.getenv("AppData")
	case "darwin", "ios":
		if home := e.getenv("HOME"); home != "" {
			base = filepath.Join(home, "Library", "Application Support")
		}
	default:
		base = e.getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(base) {
			base = ""
			if home := e.getenv("HOME"); home != "" {
				base = filepath.Join(home, ".config")
			}
		}
	}
	if base == "" {
		return "", usageErrorf("no configuration directory: set HOME (or XDG_CONFIG_HOME) or pass --ca-dir")
	}
	return filepath.Join(base, "acmeproxy"), nil
}
