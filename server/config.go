package server

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// VerifyMode says whether objects are checked against their cid as they are served.
type VerifyMode string

const (
	// VerifyFull hashes every object read as it is sent and never lets a client receive the
	// whole of an object that does not match its cid (the default).
	VerifyFull VerifyMode = "full"
	// VerifyOff sends objects from the file as they are (sendfile): for stores scrubbed
	// offline (hashstore audit --rehash), and for measuring the physical limit.
	VerifyOff VerifyMode = "off"
)

// ReadAccess says who may read an object.
type ReadAccess string

const (
	// ReadPublic serves an object, its system metadata and its checksum only if its system
	// metadata grants read to the subject "public" (the default), or to a holder of the
	// write token.
	ReadPublic ReadAccess = "public"
	// ReadAll serves every object to everyone: a trusted network, or behind a proxy that
	// authenticates.
	ReadAll ReadAccess = "all"
)

// Config is how a Server behaves. The zero value is not valid; start from DefaultConfig.
type Config struct {
	// Base is the path prefix of the DataONE routes, e.g. "/mn" (they are Base+"/v2/...").
	// It starts with "/" and does not end with one; "" puts them at the root.
	Base string
	// WriteToken, when not empty, is the bearer token that allows writes (and reads of
	// everything, and unverified reads). Without it the server is read-only.
	WriteToken string
	// ReadOnly refuses every write even with a token.
	ReadOnly bool
	// ReadAccess is the read policy.
	ReadAccess ReadAccess
	// Verify is the verification mode of object reads.
	Verify VerifyMode
	// NodeID is the DataONE node identifier put in exceptions (e.g. "urn:node:EXAMPLE"), or "".
	NodeID string

	// MaxReads and MaxWrites are how many object reads and writes (including requests that
	// hash a whole object: checksums and digests) run at once. Requests beyond them wait up
	// to QueueTimeout for a slot (at most MaxQueue of them per pool), then get 503 with
	// Retry-After.
	MaxReads, MaxWrites int
	MaxQueue            int
	QueueTimeout        time.Duration
	// BufferSize is the size of the one buffer a verified read holds.
	BufferSize int
	// ContentCache is how many bytes of small objects, verified against their cid, the fast
	// path keeps in memory to answer later reads without reading and hashing them again.
	ContentCache int64
	// MaxSysmetaBytes bounds a system metadata document in a create (it is held in memory
	// to be parsed) and a metadata document stored through the native route.
	MaxSysmetaBytes int64

	// IdleTimeout drops a transfer that makes no progress (no byte read or written) for this
	// long; a slow transfer that progresses is never cut. It also closes idle keep-alive
	// connections.
	IdleTimeout time.Duration
	// ReadHeaderTimeout bounds the time to read a request's headers.
	ReadHeaderTimeout time.Duration
	// ShutdownGrace is how long in-flight requests may run after a shutdown starts.
	ShutdownGrace time.Duration
	// VerifiedTTL is how long a whole-object verification lets Range requests of the same
	// unchanged file be sent without hashing (see docs/CLI.md, "serve").
	VerifiedTTL time.Duration

	// FastPath answers plain GETs of small objects without net/http's request and response
	// machinery (see fastpath.go), on plain HTTP; the answers are the same.
	FastPath bool

	// Logger receives the access log (at Info) and the server's diagnostics.
	Logger *slog.Logger
}

// DefaultConfig is a read-only, public-read, fully verifying server sized for DefaultMaxMemory.
func DefaultConfig() Config {
	c := Config{
		Base:              "/mn",
		ReadAccess:        ReadPublic,
		Verify:            VerifyFull,
		MaxQueue:          256,
		QueueTimeout:      2 * time.Second,
		MaxSysmetaBytes:   256 << 10,
		IdleTimeout:       60 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		ShutdownGrace:     30 * time.Second,
		VerifiedTTL:       10 * time.Minute,
		FastPath:          true,
	}
	c.SizeFor(DefaultMaxMemory)
	return c
}

// DefaultMaxMemory is the memory bound DefaultConfig is sized for.
const DefaultMaxMemory = 64 << 20

// Memory accounting for SizeFor. baseMemory is what the process needs whatever the load: the
// runtime, the metrics, connections and goroutines. writeMemory is what one write or hash
// holds: the store's hashing pipeline (8 chunks of 256 KiB) and multipart buffers; the system
// metadata document of a create comes on top.
const (
	baseMemory  = 20 << 20
	writeMemory = 2<<20 + 256<<10
	minBuffer   = 64 << 10
	maxBuffer   = 1 << 20
	// maxContentCache bounds the content cache whatever the memory: 16 MiB is 4,000 objects
	// of 4 KiB.
	maxContentCache = 16 << 20
)

// SizeFor derives MaxReads, MaxWrites, BufferSize and ContentCache from a bound on the memory
// the server may use, so that an operator sets one number: half of what is left after the
// fixed part goes to writes (at least 1, at most 8 of them); of the rest a third, up to
// maxContentCache, to the content cache, and the remainder to 64 reads with buffers of up to
// 1 MiB, or to fewer reads with 64 KiB buffers when 64 would leave less than that. Buffers
// are a multiple of 4 KiB. It fails when maxMemory cannot hold the fixed part, one read and
// one write. Call it after setting MaxSysmetaBytes, which counts towards each write.
func (c *Config) SizeFor(maxMemory int64) error {
	perWrite := writeMemory + c.MaxSysmetaBytes
	left := maxMemory - baseMemory
	if left < perWrite+minBuffer {
		return fmt.Errorf("max memory %d bytes is too small: at least %d bytes are needed", maxMemory, baseMemory+perWrite+minBuffer)
	}
	writes := min(max(left/2/perWrite, 1), 8)
	readBudget := left - writes*perWrite
	c.ContentCache = min(readBudget/3, maxContentCache)
	readBudget -= c.ContentCache
	reads := int64(64)
	buf := min(readBudget/reads, maxBuffer)
	if buf < minBuffer {
		buf, reads = minBuffer, max(readBudget/minBuffer, 1)
	}
	c.MaxReads, c.MaxWrites, c.BufferSize = int(reads), int(writes), int(buf&^(4<<10-1))
	return nil
}

// check refuses a configuration the server cannot run with.
func (c *Config) check() error {
	var errs []error
	if c.Base != "" && (!strings.HasPrefix(c.Base, "/") || strings.HasSuffix(c.Base, "/")) {
		errs = append(errs, fmt.Errorf("base %q must start with / and not end with one", c.Base))
	}
	switch c.ReadAccess {
	case ReadPublic, ReadAll:
	default:
		errs = append(errs, fmt.Errorf("read access %q is not public or all", c.ReadAccess))
	}
	switch c.Verify {
	case VerifyFull, VerifyOff:
	default:
		errs = append(errs, fmt.Errorf("verify mode %q is not full or off", c.Verify))
	}
	if c.MaxReads < 1 || c.MaxWrites < 1 || c.BufferSize < 4<<10 || c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("limits must be positive (max reads %d, max writes %d, buffer %d, queue %d)",
			c.MaxReads, c.MaxWrites, c.BufferSize, c.MaxQueue))
	}
	if c.ContentCache < 0 {
		errs = append(errs, fmt.Errorf("content cache must not be negative, got %d", c.ContentCache))
	}
	if c.MaxSysmetaBytes < 1 {
		errs = append(errs, fmt.Errorf("max sysmeta bytes must be positive, got %d", c.MaxSysmetaBytes))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, fmt.Errorf("idle timeout must be positive, got %v", c.IdleTimeout))
	}
	return errors.Join(errs...)
}
