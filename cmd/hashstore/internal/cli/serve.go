package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server"
)

func init() { register(newServeCmd) }

// serveOptions are the flags of serve.
type serveOptions struct {
	listen, base, tokenFile string
	readOnly, fastPath      bool
	readAccess, verify      string
	tlsCert, tlsKey         string
	maxMemory               sizeValue
	maxReads, maxWrites     int
	idleTimeout, grace      time.Duration
	queueTimeout            time.Duration
}

func newServeCmd(a *App) *cobra.Command {
	o := serveOptions{readAccess: string(server.ReadPublic), verify: string(server.VerifyFull), maxMemory: server.DefaultMaxMemory}
	def := server.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the store over HTTP: DataONE's Member Node API and the HashStore verbs",
		Long: `serve answers HTTP requests for the store until SIGTERM or SIGINT, then stops gracefully
(in-flight requests get --shutdown-grace to finish). It speaks DataONE's Member Node read API
under --base (get, describe, getSystemMetadata, getChecksum, ping) and create (POST of pid,
object and sysmeta parts, in either order), and has native routes under /hs/v1 for every
HashStore verb, plus /healthz, /readyz and /metrics (Prometheus). docs/CLI.md lists the routes.

Objects stream both ways and are never held in memory. With --verify full (the default) every
object sent is hashed and its last piece held back until it matches its cid; a mismatch cuts
the connection, so no client gets a complete wrong object, and the object is refused until its
file changes. --verify off sends files as they are (sendfile), for stores checked offline.

Reads are open to objects whose system metadata grants read to "public" (--read-access
public), or to all (--read-access all). Writes need the bearer token in --write-token-file;
without one, or with --read-only, the store is opened read-only. The server listens on
127.0.0.1:8080 unless told otherwise; give --tls-cert and --tls-key to serve HTTPS.

--max-memory bounds the memory the server uses: it sizes the read and write pools and their
buffers (--max-reads and --max-writes override the counts). Requests beyond the pools wait
up to --queue-timeout, then get 503 with Retry-After. A transfer that makes no progress for --idle-timeout
is dropped; a long one that progresses never is.

Access log lines go to stderr at level info (the default for serve).`,
		Example: `  hashstore --store /var/hashstore serve --write-token-file /etc/hashstore/token
  curl -fsS http://127.0.0.1:8080/mn/v2/object/jtao.1700.1 -o jtao.1700.1
  curl -fsS -H "Authorization: Bearer $(cat token)" -F pid=x.1 -F sysmeta=@x.1.xml \
      -F object=@x.1 http://127.0.0.1:8080/mn/v2/object`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen on this `ADDR` (host:port)")
	f.StringVar(&o.base, "base", def.Base, "`PATH` prefix of the DataONE routes")
	f.StringVar(&o.tokenFile, "write-token-file", "", "`FILE` holding the bearer token that allows writes")
	f.BoolVar(&o.readOnly, "read-only", false, "refuse every write")
	f.Var(&enumValue{val: &o.readAccess, allowed: []string{string(server.ReadPublic), string(server.ReadAll)}},
		"read-access", "who may read: public (objects whose system metadata grants public read) or all")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "the private key `FILE` (PEM) of --tls-cert")
	f.Var(&enumValue{val: &o.verify, allowed: []string{string(server.VerifyFull), string(server.VerifyOff)}},
		"verify", "check objects against their cid while sending them: full or off")
	f.BoolVar(&o.fastPath, "fast-path", def.FastPath, "answer plain GETs of small objects without net/http's per-request machinery")
	f.Var(&o.maxMemory, "max-memory", "bound the server's memory to `BYTES` (e.g. 64MiB, 1GiB)")
	f.IntVar(&o.maxReads, "max-reads", 0, "object reads at once (`N`; default: from --max-memory)")
	f.IntVar(&o.maxWrites, "max-writes", 0, "writes and whole-object hashes at once (`N`; default: from --max-memory)")
	f.DurationVar(&o.queueTimeout, "queue-timeout", def.QueueTimeout, "how long a request waits for a free slot before 503 (`DURATION`)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", def.IdleTimeout, "drop a transfer that makes no progress for this `DURATION`")
	f.DurationVar(&o.grace, "shutdown-grace", def.ShutdownGrace, "`DURATION` in-flight requests get to finish on SIGTERM")
	return cmd
}

func (a *App) serve(cmd *cobra.Command, o *serveOptions) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return UsageErrorf("--tls-cert and --tls-key go together")
	}
	if o.maxReads < 0 || o.maxWrites < 0 {
		return UsageErrorf("--max-reads and --max-writes must not be negative")
	}
	if !cmd.Flags().Changed("log-level") && !cmd.Root().PersistentFlags().Changed("log-level") {
		a.Logger = a.newLogger(slog.LevelInfo)
	}
	cfg := server.DefaultConfig()
	cfg.Base = strings.TrimSuffix(o.base, "/")
	cfg.ReadOnly = o.readOnly
	cfg.ReadAccess = server.ReadAccess(o.readAccess)
	cfg.Verify = server.VerifyMode(o.verify)
	cfg.FastPath = o.fastPath
	cfg.IdleTimeout = o.idleTimeout
	cfg.QueueTimeout = o.queueTimeout
	cfg.ShutdownGrace = o.grace
	cfg.Logger = a.Logger
	if err := cfg.SizeFor(int64(o.maxMemory)); err != nil {
		return UsageErrorf("--max-memory: %v", err)
	}
	if o.maxReads > 0 {
		cfg.MaxReads = o.maxReads
	}
	if o.maxWrites > 0 {
		cfg.MaxWrites = o.maxWrites
	}
	if o.tokenFile != "" {
		tok, err := readToken(o.tokenFile)
		if err != nil {
			return err
		}
		cfg.WriteToken = tok
	}
	var opts []hashstore.Option
	if cfg.WriteToken == "" || cfg.ReadOnly {
		opts = append(opts, hashstore.WithReadOnly())
	}
	st, err := a.OpenStore(opts...)
	if err != nil {
		return err
	}
	srv, err := server.New(st, cfg)
	if err != nil {
		return UsageErrorf("%v", err)
	}
	// The soft limit makes the collector work harder as the heap nears the bound, rather than
	// let garbage push the process past it; a quarter is left for what the runtime does not
	// count (the program's own pages, the kernel's buffers for it).
	debug.SetMemoryLimit(int64(o.maxMemory) / 4 * 3)
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	writes := "read-only"
	if cfg.WriteToken != "" && !cfg.ReadOnly {
		writes = "writes with the token"
	}
	a.Logger.Info("listening", "url", scheme+"://"+ln.Addr().String(), "store", st.Root(), "base", cfg.Base,
		"verify", cfg.Verify, "read_access", cfg.ReadAccess, "writes", writes,
		"max_reads", cfg.MaxReads, "max_writes", cfg.MaxWrites, "buffer", cfg.BufferSize, "max_memory", int64(o.maxMemory))
	a.Noticef("serving %s on %s://%s (%s)", st.Root(), scheme, ln.Addr(), writes)
	return srv.Serve(cmd.Context(), ln, o.tlsCert, o.tlsKey)
}

// readToken reads the write token from a file: its first line, without surrounding spaces.
// The token is never printed or logged.
func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--write-token-file: %w", err)
	}
	tok, _, _ := strings.Cut(string(data), "\n")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", errors.New("--write-token-file: the file holds no token")
	}
	if strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return "", errors.New("--write-token-file: the token holds spaces or control characters")
	}
	return tok, nil
}
