// Package cli is the hashstore command: a cobra tree built afresh for every call of Main or
// Run, so that tests can run it in-process and in parallel.
//
// Adding a command: write a constructor func(*App) *cobra.Command in a file of its own and
// register it from that file's init function (see register). Give it a RunE, not a Run: every
// RunE is wrapped so that the global flags are resolved before it runs (App.Flags, App.Logger)
// and so that the errors it returns exit with status 1, except those made by UsageErrorf,
// which exit with 2. Open the store with App.OpenStore, print results with App.PrintJSON or
// App.Printf, and attach extra JSON fields to a failure with WithDetails.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hashstore-go/hashstore/hashstore"
)

// Exit statuses (docs/CLI.md 1).
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the operation failed
	ExitUsage   = 2 // the command line is wrong
)

// StoreEnv is the environment variable that supplies --store when the flag is not given.
const StoreEnv = "HASHSTORE_STORE"

// Main runs the hashstore command with args (the command line without the program name) and
// returns the exit status. SIGINT and SIGTERM cancel the running operation, which then cleans
// up after itself (a store removes its temp file) and exits with status 1; a second signal
// gets the default behaviour and kills the process.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	return Run(ctx, args, stdin, stdout, stderr)
}

// Run is Main with the context supplied by the caller and no signal handling.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &App{
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Logger: slog.New(slog.DiscardHandler),
		Getenv: os.Getenv,
	}
	if args == nil {
		args = []string{} // cobra would read os.Args
	}
	root := a.newRootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	return a.report(cmd, err, args)
}

// GlobalFlags holds the flags every command accepts (docs/CLI.md 1).
type GlobalFlags struct {
	Store     string // --store, or $HASHSTORE_STORE
	LogLevel  string // --log-level: debug, info, warn or error
	LogFormat string // --log-format: text or json
	JSON      bool   // --json: machine-readable results (and errors) on stdout
	Quiet     bool   // -q, --quiet: no progress bars or notices
	NoSync    bool   // --no-sync: skip the fsyncs
}

// App is the state of one run of the command: its streams, the global flags and the logger.
// Commands receive it when the tree is built; its fields are ready when their RunE runs.
type App struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Flags  GlobalFlags
	// Logger writes to Stderr at the level and in the format of the global flags; it is also
	// given to the store.
	Logger *slog.Logger
	// Getenv reads the environment (os.Getenv; tests may replace it).
	Getenv func(string) string
}

// constructors of the top-level commands, added by register from each command file's init.
var constructors []func(*App) *cobra.Command

// register adds a top-level command to every tree built from now on. Call it from init.
func register(newCmd func(*App) *cobra.Command) { constructors = append(constructors, newCmd) }

func (a *App) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "hashstore",
		Short: "Store, find and check objects in a DataONE HashStore",
		Long: `hashstore operates a HashStore: a directory tree that holds data objects named by
their content hash (cid), persistent identifiers (pids) that reference them, and metadata
documents (system metadata) beside them. The on-disk format is that of DataONE's Java and
Python HashStore 1.1.0, so a store written here opens in those and theirs opens here.

Every command needs the store's root directory: --store DIR, or $HASHSTORE_STORE. Create the
store with "init"; every other command reads its properties from DIR/hashstore.yaml.

Exit status: 0 success; 1 the operation failed (stderr says which operation, on which id,
and why); 2 the command line is wrong. With --json, results are one JSON document on stdout,
and a failure also prints {"error": {"kind": K, "message": M}} there, where K is one of
not_found, already_tagged, pid_tagged_elsewhere, checksum_mismatch, size_mismatch,
unsupported_algorithm, invalid_argument, config_mismatch, orphan_refs, corrupt, in_progress,
read_only, canceled, cross_device and source_changed (convert), objects_failed (a convert or
import --manifest run in which some objects failed), io, or usage for a wrong command line.`,
		Example: `  export HASHSTORE_STORE=/var/metacat/hashstore
  hashstore init
  hashstore store --pid jtao.1700.1 --checksum f4ea2d07db950873462a064937197b0f \
      --checksum-algorithm MD5 --size 8724 jtao.1700.1
  hashstore metadata put --pid jtao.1700.1 jtao.1700.1.xml
  hashstore get --pid jtao.1700.1 -o /tmp/jtao.1700.1`,
		Version:       Version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return UsageErrorf("no command given")
		},
	}
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	root.SetVersionTemplate("hashstore {{.Version}}\n")

	pf := root.PersistentFlags()
	pf.StringVar(&a.Flags.Store, "store", "", "the store's root `DIR` (default $"+StoreEnv+")")
	a.Flags.LogLevel, a.Flags.LogFormat = "warn", "text"
	pf.Var(&enumValue{val: &a.Flags.LogLevel, allowed: []string{"debug", "info", "warn", "error"}},
		"log-level", "log to stderr from this `LEVEL` up: debug, info, warn or error")
	pf.Var(&enumValue{val: &a.Flags.LogFormat, allowed: []string{"text", "json"}},
		"log-format", "log `FORMAT`: text or json")
	pf.BoolVar(&a.Flags.JSON, "json", false, "print results, and errors, as JSON on stdout")
	pf.BoolVarP(&a.Flags.Quiet, "quiet", "q", false, "no progress bars or notices")
	pf.BoolVar(&a.Flags.NoSync, "no-sync", false, "skip the fsyncs (faster; a crash may lose what was written since the last sync)")

	for _, newCmd := range constructors {
		root.AddCommand(newCmd(a))
	}
	a.wrapRunE(root)
	return root
}

// wrapRunE makes every RunE in the tree resolve the global flags first and mark its errors as
// operation failures (exit 1) unless they are usage errors.
func (a *App) wrapRunE(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := a.setup(cmd); err != nil {
				return err
			}
			err := run(cmd, args)
			var u *usageError
			var f *failure
			if err == nil || errors.As(err, &u) || errors.As(err, &f) {
				return err
			}
			return &failure{err: err}
		}
	}
	for _, sub := range c.Commands() {
		a.wrapRunE(sub)
	}
}

// setup resolves what the global flags leave to the environment and builds the logger.
func (a *App) setup(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("store"); f != nil && !f.Changed {
		a.Flags.Store = a.Getenv(StoreEnv)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.Flags.LogLevel)); err != nil {
		return UsageErrorf("--log-level %q: %v", a.Flags.LogLevel, err)
	}
	a.Logger = a.newLogger(level)
	return nil
}

// newLogger returns a logger writing to stderr from level up, in the format of --log-format.
func (a *App) newLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if a.Flags.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(a.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.Stderr, opts))
}

// StoreDir returns the store's root from --store or $HASHSTORE_STORE, or a usage error when
// neither gives one.
func (a *App) StoreDir() (string, error) {
	if a.Flags.Store == "" {
		return "", UsageErrorf("no store given: use --store DIR or set $%s", StoreEnv)
	}
	return a.Flags.Store, nil
}

// StoreOptions returns the runtime options the global flags ask for (durability, logger).
func (a *App) StoreOptions() []hashstore.Option {
	return []hashstore.Option{hashstore.WithSync(!a.Flags.NoSync), hashstore.WithLogger(a.Logger)}
}

// OpenStore opens the existing store named by the global flags, with their runtime options
// and then opts (pass hashstore.WithReadOnly() for commands that only read).
func (a *App) OpenStore(opts ...hashstore.Option) (*hashstore.FileHashStore, error) {
	dir, err := a.StoreDir()
	if err != nil {
		return nil, err
	}
	a.Logger.Debug("opening store", "store", dir)
	return hashstore.Open(dir, append(a.StoreOptions(), opts...)...)
}

// PrintJSON writes v to stdout as one line of JSON.
func (a *App) PrintJSON(v any) error {
	enc := json.NewEncoder(a.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Printf writes a result to stdout.
func (a *App) Printf(format string, args ...any) error {
	_, err := fmt.Fprintf(a.Stdout, format, args...)
	return err
}

// Noticef tells the operator something on stderr, unless --quiet.
func (a *App) Noticef(format string, args ...any) {
	if !a.Flags.Quiet {
		fmt.Fprintf(a.Stderr, "hashstore: "+format+"\n", args...)
	}
}

// usageError is a wrong command line: exit status 2, kind "usage".
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// UsageErrorf returns a usage error (exit status 2). RunE functions return it for what flag
// parsing cannot check, such as a --range that the object cannot satisfy.
func UsageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// failure is an operation that failed (exit status 1), with optional extra fields for the
// --json error document.
type failure struct {
	err     error
	details map[string]any
}

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// WithDetails marks err as an operation failure whose --json error document also carries
// details as top-level fields beside "error" (for example what find could still determine).
func WithDetails(err error, details map[string]any) error {
	return &failure{err: err, details: details}
}

// jsonFields returns the members of the JSON object v encodes to, for WithDetails.
func jsonFields(v any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	fields := make(map[string]any, len(raw))
	for k, m := range raw {
		fields[k] = m
	}
	return fields
}

// errorBody is the "error" member of the document --json prints for a failure.
type errorBody struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// report prints err and returns the exit status for it.
func (a *App) report(cmd *cobra.Command, err error, args []string) int {
	status, kind := ExitUsage, "usage"
	var f *failure
	if errors.As(err, &f) {
		status, kind = ExitFailure, errorKind(f.err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "hashstore: ") {
		msg = "hashstore: " + msg
	}
	fmt.Fprintln(a.Stderr, msg)
	if status == ExitUsage && cmd != nil {
		fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	if a.Flags.JSON || jsonRequested(args) {
		doc := map[string]any{}
		if f != nil {
			for k, v := range f.details {
				doc[k] = v
			}
		}
		doc["error"] = errorBody{Kind: kind, Message: msg}
		if perr := a.PrintJSON(doc); perr != nil {
			fmt.Fprintln(a.Stderr, "hashstore: printing the error document:", perr)
		}
	}
	return status
}

// jsonRequested reports whether args ask for --json, for usage errors that stopped flag
// parsing before it was reached.
func jsonRequested(args []string) bool {
	on := false
	for _, arg := range args {
		if arg == "--" {
			break
		}
		switch {
		case arg == "--json":
			on = true
		case strings.HasPrefix(arg, "--json="):
			on = strings.TrimPrefix(arg, "--json=") != "false"
		}
	}
	return on
}

// enumValue is a string flag that accepts one of a fixed set of words (in any case).
type enumValue struct {
	val     *string
	allowed []string
}

var _ pflag.Value = (*enumValue)(nil)

func (e *enumValue) String() string { return *e.val }
func (e *enumValue) Type() string   { return "string" }

func (e *enumValue) Set(s string) error {
	for _, w := range e.allowed {
		if strings.EqualFold(s, w) {
			*e.val = w
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
}

// Text results print identifiers and names that come from a store or a manifest, and those may
// hold anything: terminal escape sequences, line breaks, invisible characters. They are printed
// escaped, so that a hostile name can neither drive the operator's terminal nor pass for
// another line of output.

// quoteIfNeeded quotes s (as a Go string) when it would not read as one printable word.
func quoteIfNeeded(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || !strconv.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// escapeControl writes every character of s that is not printable (control characters,
// invalid UTF-8) as a Go escape, leaving the rest as it is.
func escapeControl(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !strconv.IsPrint(r) }) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == ' ' || strconv.IsPrint(r):
			b.WriteString(s[:n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[n:]
	}
	return b.String()
}
