package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hashstore-go/hashstore/hashstore"
)

func init() {
	register(newStoreCmd)
	register(newValidateCmd)
	register(newTagCmd)
	register(newGetCmd)
	register(newDigestCmd)
	register(newDeleteCmd)
	register(newFindCmd)
}

func newStoreCmd(a *App) *cobra.Command {
	var pid, checksum, checksumAlg, additional string
	var size int64
	cmd := &cobra.Command{
		Use:   "store [--pid PID] [--checksum HEX --checksum-algorithm ALG] [--size N] [--additional-algorithm ALG] FILE|-",
		Short: "Store a data object and tag it with a pid (storeObject)",
		Long: `store reads FILE ("-" for stdin) once, stores its bytes as an object named by their
digest in the store algorithm (the cid) and computes the five default checksums (MD5, SHA-1,
SHA-256, SHA-384, SHA-512) on the way, plus --additional-algorithm if given.

With --pid, the data is first checked against --size and --checksum (in
--checksum-algorithm) if given, then tagged with the pid; a mismatch stores nothing. Without
--pid the object is stored untagged: check it with "validate", then "tag" it.

Prints the object's metadata as one line of JSON, with or without --json:
{"pid": ..., "cid": ..., "size": ..., "hex_digests": {"MD5": ..., ...}}.
An interrupt (Ctrl-C, SIGTERM) stops the store and leaves nothing behind.`,
		Example: `  hashstore --store /var/metacat/hashstore store --pid jtao.1700.1 --checksum f4ea2d07db950873462a064937197b0f \
      --checksum-algorithm MD5 --size 8724 jtao.1700.1
  curl -sf https://example.org/data.csv | hashstore store --pid doi:10.5063/F1XYZ -
  hashstore store --additional-algorithm SHA3-256 untagged.bin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			f := cmd.Flags()
			var opts []hashstore.StoreOption
			if f.Changed("pid") {
				opts = append(opts, hashstore.WithPID(pid))
			}
			if f.Changed("checksum") {
				opts = append(opts, hashstore.WithChecksum(checksum, hashstore.Algorithm(checksumAlg)))
			}
			if f.Changed("size") {
				opts = append(opts, hashstore.WithExpectedSize(size))
			}
			if f.Changed("additional-algorithm") {
				opts = append(opts, hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(additional)))
			}
			st, in, err := a.OpenStoreAndInput(ctx, "store object", pid, args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			meta, err := st.StoreObject(ctx, in, opts...)
			if err != nil {
				return WithDetails(err, storeFailureDetails(meta, err))
			}
			a.Logger.Info("stored object", "pid", meta.PID, "cid", meta.CID, "size", meta.Size)
			return a.PrintJSON(meta)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&pid, "pid", "", "tag the object with this persistent identifier (`PID`)")
	fl.StringVar(&checksum, "checksum", "", "expected checksum of the data, in `HEX`")
	fl.StringVar(&checksumAlg, "checksum-algorithm", "", "`ALG`orithm of --checksum, e.g. MD5, SHA-256")
	fl.Int64Var(&size, "size", 0, "expected size of the data: `N` bytes")
	fl.StringVar(&additional, "additional-algorithm", "", "compute this digest `ALG` too, e.g. SHA3-256")
	cmd.MarkFlagsRequiredTogether("checksum", "checksum-algorithm")
	return cmd
}

// storeFailureDetails is what a failed store adds to the --json error document: the object's
// metadata when it is complete (the pid is already tagged with this content), or the digests
// of the data when a checksum did not match, so the operator can correct the expectation.
func storeFailureDetails(meta hashstore.ObjectMetadata, err error) map[string]any {
	if meta.CID != "" {
		return jsonFields(meta)
	}
	var cm *hashstore.ChecksumMismatchError
	if errors.As(err, &cm) && len(cm.HexDigests) > 0 {
		return map[string]any{"hex_digests": cm.HexDigests}
	}
	return nil
}

func newValidateCmd(a *App) *cobra.Command {
	var cid, checksum, checksumAlg string
	var size int64
	cmd := &cobra.Command{
		Use:   "validate --cid CID --checksum HEX --checksum-algorithm ALG --size N",
		Short: "Check an untagged object; delete it if it does not match (deleteIfInvalidObject)",
		Long: `validate checks the object named CID (typically stored without --pid) against the
expected size and checksum: the size from the file, the checksum from the cid itself when
--checksum-algorithm is the store algorithm, otherwise by reading the object.

If it matches, prints {"cid": CID, "valid": true}. If not, the object is deleted, unless some
pid already references it, and validate exits with status 1 and kind size_mismatch or
checksum_mismatch; the message (and "deleted" in the --json document) says whether the object
was deleted.`,
		Example: `  export HASHSTORE_STORE=/var/metacat/hashstore
  cid=$(hashstore store upload.bin | jq -r .cid)
  hashstore validate --cid "$cid" --checksum f4ea2d07db950873462a064937197b0f \
      --checksum-algorithm MD5 --size 8724 && hashstore tag --pid jtao.1700.1 --cid "$cid"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.OpenStore()
			if err != nil {
				return err
			}
			meta, _, err := st.StatObject(ctx, cid)
			if err != nil {
				return &hashstore.OpError{Op: "delete invalid object", ID: cid, Err: errors.Unwrap(err)}
			}
			err = st.DeleteIfInvalidObject(ctx, meta, checksum, hashstore.Algorithm(checksumAlg), size)
			if err == nil {
				return a.PrintJSON(map[string]any{"cid": cid, "valid": true})
			}
			if !errors.Is(err, hashstore.ErrSizeMismatch) && !errors.Is(err, hashstore.ErrChecksumMismatch) {
				return err
			}
			var deleted bool
			var outcome string
			switch _, referenced, statErr := st.StatObject(ctx, cid); {
			case errors.Is(statErr, hashstore.ErrNotFound):
				deleted, outcome = true, "the object was deleted"
			case referenced:
				outcome = "the object was kept because a pid references it"
			default:
				outcome = "the object was kept"
			}
			return WithDetails(fmt.Errorf("%w; %s", err, outcome), map[string]any{"cid": cid, "valid": false, "deleted": deleted})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cid, "cid", "", "the object's content identifier (`CID`, as printed by store)")
	f.StringVar(&checksum, "checksum", "", "expected checksum, in `HEX`")
	f.StringVar(&checksumAlg, "checksum-algorithm", "", "`ALG`orithm of --checksum, e.g. MD5, SHA-256")
	f.Int64Var(&size, "size", 0, "expected size: `N` bytes")
	for _, name := range []string{"cid", "checksum", "checksum-algorithm", "size"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newTagCmd(a *App) *cobra.Command {
	var pid, cid string
	cmd := &cobra.Command{
		Use:   "tag --pid PID --cid CID",
		Short: "Make a pid reference an object (tagObject)",
		Long: `tag makes PID reference the object CID: it adds the pid to the cid's refs file and writes
the pid's refs file. It fails with kind already_tagged if the pid already references this cid,
and pid_tagged_elsewhere if it references another one. Prints nothing on success unless
--json ({"pid": PID, "cid": CID, "tagged": true}).`,
		Example: `  hashstore --store /var/metacat/hashstore tag --pid jtao.1700.1 --cid 94f9b6c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.OpenStore()
			if err != nil {
				return err
			}
			if err := st.TagObject(cmd.Context(), pid, cid); err != nil {
				return err
			}
			if a.Flags.JSON {
				return a.PrintJSON(map[string]any{"pid": pid, "cid": cid, "tagged": true})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	cmd.Flags().StringVar(&cid, "cid", "", "the object's content identifier (`CID`)")
	cmd.MarkFlagRequired("pid")
	cmd.MarkFlagRequired("cid")
	return cmd
}

func newGetCmd(a *App) *cobra.Command {
	var pid, output, rangeSpec string
	var verify bool
	cmd := &cobra.Command{
		Use:   "get --pid PID [-o FILE] [--range START-END] [--verify]",
		Short: "Write an object's bytes to stdout or a file (retrieveObject)",
		Long: `get writes the bytes of the object PID references to stdout, or to FILE with -o. FILE
appears only once it is complete: it is written to a new file of its own beside FILE
(".FILE.tmp-" and a random suffix, created exclusively, so nothing already there is followed
or overwritten) and renamed over FILE at the end. A failed or interrupted get leaves FILE as
it was; of several gets to one FILE, the last to finish leaves its whole output.

--range selects bytes as HTTP does, both ends inclusive and counted from 0: START-END,
START- (to the end), or -N (the last N bytes). An END past the end of the object is cut to
it; a range that selects nothing is a usage error (exit status 2).

--verify checks that the whole object still hashes to its cid, reading all of it even with
--range; a corrupt object fails with kind corrupt. To stdout the bytes have been written by
then; with -o, FILE is not created.

With --json and -o, prints {"pid", "cid", "path", "offset", "size"} once FILE is written.
Without -o stdout carries the bytes, so a --json error document would follow whatever bytes
were already written: scripts that want JSON should use -o.`,
		Example: `  hashstore --store /var/metacat/hashstore get --pid jtao.1700.1 > jtao.1700.1
  hashstore get --pid jtao.1700.1 -o /tmp/jtao.1700.1 --verify
  hashstore get --pid jtao.1700.1 --range 0-1023 | file -
  hashstore get --pid jtao.1700.1 --range -100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var rng byteRange
			if rangeSpec != "" {
				var err error
				if rng, err = parseRange(rangeSpec); err != nil {
					return err
				}
			}
			st, err := a.OpenStore(hashstore.WithReadOnly())
			if err != nil {
				return err
			}
			var opts []hashstore.RetrieveOption
			if verify {
				opts = append(opts, hashstore.WithVerify())
			}
			info, err := st.FindObject(ctx, pid)
			if err != nil {
				return &hashstore.OpError{Op: "retrieve object", ID: pid, Err: errors.Unwrap(err)}
			}
			cid := info.CID
			r, err := st.RetrieveObject(ctx, pid, opts...)
			if err != nil {
				return err
			}
			defer r.Close()
			size, err := r.Seek(0, io.SeekEnd)
			if err == nil {
				_, err = r.Seek(0, io.SeekStart)
			}
			if err != nil {
				return &hashstore.OpError{Op: "retrieve object", ID: pid, Err: err}
			}
			off, n := int64(0), size
			if rangeSpec != "" {
				if off, n, err = rng.resolve(size); err != nil {
					return err
				}
			}
			opErr := func(err error) error { return &hashstore.OpError{Op: "retrieve object", ID: pid, Err: err} }
			out, err := a.CreateOutput(output)
			if err != nil {
				return opErr(err)
			}
			defer out.Abort()
			if off > 0 {
				if _, err := r.Seek(off, io.SeekStart); err != nil {
					return opErr(err)
				}
			}
			written, err := copyOut(ctx, out, r, n)
			if err == nil && written < n {
				err = fmt.Errorf("object %s ended after %d of the %d bytes expected", cid, off+written, off+n)
			}
			if err == nil && verify {
				err = verifyRest(r, cid)
			}
			if err == nil {
				err = out.Commit()
			}
			if err != nil {
				return opErr(err)
			}
			a.Logger.Info("retrieved object", "pid", pid, "cid", cid, "offset", off, "bytes", written)
			if a.Flags.JSON && out.Path() != "" {
				return a.PrintJSON(map[string]any{"pid": pid, "cid": cid, "path": out.Path(), "offset": off, "size": written})
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	f.StringVarP(&output, "output", "o", "", "write to `FILE` instead of stdout")
	f.StringVar(&rangeSpec, "range", "", "only these bytes: `START-END`, START- or -N (inclusive, from 0)")
	f.BoolVar(&verify, "verify", false, "check that the object still hashes to its cid")
	cmd.MarkFlagRequired("pid")
	return cmd
}

// verifyRest makes a verifying reader of the object cid check the whole object: it seeks to
// the end and reads, which hashes whatever the copy did not and compares the digest with the
// cid.
func verifyRest(r io.ReadSeeker, cid string) error {
	if _, err := r.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	var b [1]byte
	if _, err := r.Read(b[:]); err != io.EOF {
		if err == nil {
			return fmt.Errorf("object %s grew while it was read", cid)
		}
		return err
	}
	return nil
}

// byteRange is a parsed --range: START-END, START- or -N.
type byteRange struct {
	spec       string
	start, end int64 // end < 0: to the end of the object
	suffix     int64 // > 0: the last suffix bytes (-N)
}

func parseRange(spec string) (byteRange, error) {
	bad := func(why string) error {
		return UsageErrorf("--range %q: %s (use START-END, START- or -N; both ends inclusive, from 0)", spec, why)
	}
	s := strings.TrimPrefix(spec, "bytes=")
	if strings.Contains(s, ",") {
		return byteRange{}, bad("only one range is supported")
	}
	first, last, ok := strings.Cut(s, "-")
	if !ok {
		return byteRange{}, bad("no '-'")
	}
	num := func(t string) (int64, error) {
		if t == "" || strings.TrimLeft(t, "0123456789") != "" {
			return 0, bad(fmt.Sprintf("%q is not a byte position", t))
		}
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, bad(fmt.Sprintf("%q is too large", t))
		}
		return n, nil
	}
	r := byteRange{spec: spec, end: -1}
	if first == "" {
		n, err := num(last)
		if err != nil {
			return byteRange{}, err
		}
		if n == 0 {
			return byteRange{}, bad("the last 0 bytes are no bytes")
		}
		r.suffix = n
		return r, nil
	}
	var err error
	if r.start, err = num(first); err != nil {
		return byteRange{}, err
	}
	if last != "" {
		if r.end, err = num(last); err != nil {
			return byteRange{}, err
		}
		if r.end < r.start {
			return byteRange{}, bad("it ends before it starts")
		}
	}
	return r, nil
}

// resolve returns the offset and length the range selects in an object of size bytes, or a
// usage error if it selects nothing.
func (r byteRange) resolve(size int64) (off, n int64, err error) {
	if size == 0 {
		return 0, 0, UsageErrorf("--range %q: the object is empty", r.spec)
	}
	if r.suffix > 0 {
		n = min(r.suffix, size)
		return size - n, n, nil
	}
	if r.start >= size {
		return 0, 0, UsageErrorf("--range %q starts at byte %d, but the object has %d bytes (0-%d)", r.spec, r.start, size, size-1)
	}
	end := size - 1
	if r.end >= 0 && r.end < end {
		end = r.end
	}
	return r.start, end - r.start + 1, nil
}

func newDigestCmd(a *App) *cobra.Command {
	var pid, algorithm string
	var reread bool
	cmd := &cobra.Command{
		Use:   "digest --pid PID --algorithm ALG [--reread]",
		Short: "Print the hex digest of an object (getHexDigest)",
		Long: `digest prints the hex digest, in ALG, of the object PID references. For the store
algorithm that is the cid, returned without reading the object unless --reread; any other
algorithm reads the object. With --json: {"pid": PID, "algorithm": ALG, "hex_digest": HEX}.`,
		Example: `  hashstore --store /var/metacat/hashstore digest --pid jtao.1700.1 --algorithm MD5
  hashstore digest --pid jtao.1700.1 --algorithm SHA-256 --reread --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.OpenStore(hashstore.WithReadOnly())
			if err != nil {
				return err
			}
			var opts []hashstore.DigestOption
			if reread {
				opts = append(opts, hashstore.WithReread())
			}
			hex, err := st.GetHexDigest(cmd.Context(), pid, hashstore.Algorithm(algorithm), opts...)
			if err != nil {
				return err
			}
			if a.Flags.JSON {
				name := algorithm
				if alg, err := hashstore.ParseAlgorithm(algorithm); err == nil {
					name = string(alg)
				}
				return a.PrintJSON(map[string]any{"pid": pid, "algorithm": name, "hex_digest": hex})
			}
			return a.Printf("%s\n", hex)
		},
	}
	f := cmd.Flags()
	f.StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	f.StringVar(&algorithm, "algorithm", "", "digest `ALG`orithm, e.g. MD5, SHA-1, SHA-256, SHA3-256")
	f.BoolVar(&reread, "reread", false, "hash the object's bytes even for the store algorithm")
	cmd.MarkFlagRequired("pid")
	cmd.MarkFlagRequired("algorithm")
	return cmd
}

func newDeleteCmd(a *App) *cobra.Command {
	var pid string
	cmd := &cobra.Command{
		Use:   "delete --pid PID",
		Short: "Delete a pid, its metadata, and its object if no other pid uses it (deleteObject)",
		Long: `delete removes PID: its references, all of its metadata documents, and the object if no
other pid references it. It also cleans up a pid whose references are broken. Prints nothing
on success unless --json ({"pid": PID, "deleted": true}).`,
		Example: `  hashstore --store /var/metacat/hashstore delete --pid jtao.1700.1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.OpenStore()
			if err != nil {
				return err
			}
			if err := st.DeleteObject(cmd.Context(), pid); err != nil {
				return err
			}
			if a.Flags.JSON {
				return a.PrintJSON(map[string]any{"pid": pid, "deleted": true})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	cmd.MarkFlagRequired("pid")
	return cmd
}

// findResult is what find prints with --json: the ObjectInfo and what is broken, if anything.
type findResult struct {
	hashstore.ObjectInfo
	Broken *string `json:"broken"`
}

func newFindCmd(a *App) *cobra.Command {
	var pid string
	cmd := &cobra.Command{
		Use:   "find --pid PID",
		Short: "Show where a pid's object, references and system metadata live",
		Long: `find prints the cid PID references and the paths of the object, the cid refs file, the
pid refs file and the system metadata document (in the store's namespace; "(none)" if there
is none).

If the references are broken, find still prints what it could determine, then a line
"broken: REASON" naming the broken reference, and exits with status 1 and kind orphan_refs
("delete" cleans such a pid up). With --json it prints one document: the fields pid, cid,
object_path, cid_refs_path, pid_refs_path, sysmeta_path and broken (the reason, or null), and
on failure the "error" member too.`,
		Example: `  hashstore --store /var/metacat/hashstore find --pid jtao.1700.1
  hashstore find --pid jtao.1700.1 --json | jq -r .object_path`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.OpenStore(hashstore.WithReadOnly())
			if err != nil {
				return err
			}
			info, err := st.FindObject(cmd.Context(), pid)
			var broken *hashstore.OrphanRefsError
			if err != nil && !errors.As(err, &broken) {
				return err
			}
			res := findResult{ObjectInfo: info}
			if broken != nil {
				reason := broken.Reason.Error()
				res.Broken = &reason
			}
			if a.Flags.JSON {
				if broken != nil {
					return WithDetails(err, jsonFields(res))
				}
				return a.PrintJSON(res)
			}
			show := func(s string) string {
				if s == "" {
					return "(unknown)"
				}
				return s
			}
			sysmeta := info.SysmetaPath
			if sysmeta == "" {
				sysmeta = "(none)"
			}
			if perr := a.Printf("pid: %s\ncid: %s\nobject: %s\ncid refs: %s\npid refs: %s\nsysmeta: %s\n",
				quoteIfNeeded(info.PID), show(escapeControl(info.CID)), show(info.ObjectPath), show(info.CIDRefsPath), show(info.PIDRefsPath), sysmeta); perr != nil {
				return perr
			}
			if broken != nil {
				if perr := a.Printf("broken: %s\n", escapeControl(*res.Broken)); perr != nil {
					return perr
				}
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	cmd.MarkFlagRequired("pid")
	return cmd
}
