package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

func init() { register(newConvertCmd) }

// convertResult is what convert prints for one object: the ObjectMetadata as store prints it,
// plus how the object was placed, whether the pid was already tagged to it (a re-run), and
// where the sysmeta was stored.
type convertResult struct {
	hashstore.ObjectMetadata
	Placement     hashstore.Placement `json:"placement"`
	AlreadyTagged bool                `json:"already_tagged"`
	SysmetaPath   string              `json:"sysmeta_path"`
}

func newConvertCmd(a *App) *cobra.Command {
	var pid, sysmetaFile, checksum, checksumAlg, formatID string
	var size int64
	var bulk bulkFlags
	var mc metacatFlags
	cmd := &cobra.Command{
		Use:   "convert (--pid PID --sysmeta FILE [--checksum HEX --checksum-algorithm ALG] [--size N] [FILE] | --manifest FILE [...] | --metacat DSN [...])",
		Short: "Hard-link existing files into the store with their system metadata",
		Long: `convert moves an existing repository (Metacat's data and documents trees) into the store
without copying a byte: each data file is read once to compute the five default checksums,
checked, hard-linked into place, tagged with its pid, and its system metadata stored.

One object: convert --pid PID --sysmeta FILE [FILE]. The data must match every expectation it
is given: --checksum (in --checksum-algorithm) and --size if given, and the system metadata's
checksum, size and identifier always; any mismatch fails and changes nothing. Without FILE
only the system metadata is stored. Converting a pid that is already tagged to the same
content succeeds (re-runs are safe); to other content it fails (kind pid_tagged_elsewhere).
Prints the object's metadata as one line of JSON, as store does, plus "placement" (linked,
already_linked, deduplicated, copied), "already_tagged" and "sysmeta_path"; without FILE,
{"pid", "sysmeta_path"}. The data file and the store must be on one filesystem: otherwise
convert fails with kind cross_device, or copies the file in with --on-cross-device copy. A
file that changes while it is read fails with kind source_changed. On a size or checksum
mismatch the --json error document carries the data's size and digests.

Many objects: convert --manifest FILE, see below and "hashstore import --help", or convert
--metacat DSN.
` + bulkHelp + "\n" + metacatHelp,
		Example: `  hashstore --store /var/metacat/hashstore convert --pid jtao.1700.1 \
      --sysmeta sysmeta/jtao.1700.1.xml /var/metacat/documents/jtao.1700.1
  hashstore convert --manifest manifest.csv --checksums-out checksums.csv --report-dir reports/
  hashstore convert --manifest manifest.csv --shard 0/4    # on host 0 of 4
  hashstore convert --metacat "host=db user=metacat dbname=metacat" --metacat-dir /var/metacat \
      --metacat-timezone America/Los_Angeles --report-dir reports/
  hashstore convert --metacat "" --sweep --delete-gone --checksums-to-db   # PG* variables`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if f.Changed("metacat") {
				if f.Changed("manifest") {
					return UsageErrorf("--metacat and --manifest exclude each other")
				}
				for _, name := range []string{"pid", "sysmeta", "checksum", "checksum-algorithm", "size", "format-id"} {
					if f.Changed(name) {
						return UsageErrorf("--%s is for one object; the database gives it per pid", name)
					}
				}
				if len(args) > 0 {
					return UsageErrorf("convert --metacat takes no FILE argument")
				}
				return a.runMetacat(cmd, &bulk, &mc)
			}
			if name := mc.changedOnly(cmd); name != "" {
				return UsageErrorf("--%s needs --metacat", name)
			}
			if f.Changed("manifest") {
				for _, name := range []string{"pid", "sysmeta", "checksum", "checksum-algorithm", "size", "format-id"} {
					if f.Changed(name) {
						return UsageErrorf("--%s is for one object; a manifest gives it per line", name)
					}
				}
				if len(args) > 0 {
					return UsageErrorf("convert --manifest takes no FILE argument")
				}
				return a.runBulk(cmd, bulk.crossDevice.linkPolicy(), &bulk)
			}
			if bulk.changedAny(cmd) {
				return UsageErrorf("--workers, --journal, --report-dir, --checksums-out, --summary, --shard and --shard-count need --manifest or --metacat")
			}
			if !f.Changed("pid") || !f.Changed("sysmeta") {
				return UsageErrorf("convert needs --pid and --sysmeta (or --manifest)")
			}
			path := ""
			if len(args) == 1 {
				if path = args[0]; path == "-" {
					return UsageErrorf("convert links files: standard input cannot be linked (use store for that)")
				}
			}
			var opts []converter.Option
			if f.Changed("checksum") {
				opts = append(opts, converter.WithChecksum(checksum, hashstore.Algorithm(checksumAlg)))
			}
			if f.Changed("size") {
				opts = append(opts, converter.WithExpectedSize(size))
			}
			if f.Changed("format-id") {
				opts = append(opts, converter.WithFormatID(formatID))
			}
			sm, err := readInputFile(sysmetaFile, sysmeta.MaxDocumentSize)
			if err != nil {
				return &hashstore.OpError{Op: "convert", ID: pid, Err: fmt.Errorf("system metadata: %w", err)}
			}
			c, err := a.openConverter(bulk.crossDevice.linkPolicy())
			if err != nil {
				return err
			}
			res, err := c.Convert(cmd.Context(), path, pid, sm, opts...)
			if err != nil {
				return WithDetails(err, convertFailureDetails(res, err))
			}
			a.Logger.Info("converted", "pid", pid, "cid", res.Object.CID, "placement", res.Placement, "already_tagged", res.AlreadyTagged)
			if path == "" {
				return a.PrintJSON(map[string]any{"pid": pid, "sysmeta_path": res.SysmetaPath})
			}
			return a.PrintJSON(convertResult{ObjectMetadata: res.Object, Placement: res.Placement,
				AlreadyTagged: res.AlreadyTagged, SysmetaPath: res.SysmetaPath})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&pid, "pid", "", "the object's persistent identifier (`PID`)")
	fl.StringVar(&sysmetaFile, "sysmeta", "", "the object's system metadata document (`FILE`)")
	fl.StringVar(&checksum, "checksum", "", "expected checksum of the data, in `HEX`, checked in addition to the sysmeta's")
	fl.StringVar(&checksumAlg, "checksum-algorithm", "", "`ALG`orithm of --checksum, e.g. MD5, SHA-256")
	fl.Int64Var(&size, "size", 0, "expected size of the data: `N` bytes (must agree with the sysmeta's)")
	fl.StringVar(&formatID, "format-id", "", "store the sysmeta under this format id (`F`; default: the store's namespace)")
	cmd.MarkFlagsRequiredTogether("checksum", "checksum-algorithm")
	bulk.add(cmd, true)
	mc.add(cmd)
	return cmd
}

// openConverter opens the store for a conversion that places data files as policy says, with
// opts after the global flags' options.
func (a *App) openConverter(policy hashstore.LinkPolicy, opts ...hashstore.Option) (*converter.Converter, error) {
	st, err := a.OpenStore(opts...)
	if err != nil {
		return nil, err
	}
	return converter.New(st, policy), nil
}

// convertFailureDetails is what a failed convert adds to the --json error document: the
// object's metadata if it was stored (only the sysmeta failed), or the data's size and digests
// after a size or checksum mismatch, so the operator can correct the expectation.
func convertFailureDetails(res converter.Result, err error) map[string]any {
	if res.Object.CID != "" {
		return jsonFields(convertResult{ObjectMetadata: res.Object, Placement: res.Placement,
			AlreadyTagged: res.AlreadyTagged, SysmetaPath: res.SysmetaPath})
	}
	var sm *hashstore.SizeMismatchError
	if errors.As(err, &sm) && sm.HexDigests != nil {
		return map[string]any{"size": sm.Actual, "hex_digests": sm.HexDigests}
	}
	var cm *hashstore.ChecksumMismatchError
	if errors.As(err, &cm) && len(cm.HexDigests) > 0 {
		return map[string]any{"hex_digests": cm.HexDigests}
	}
	return nil
}

// errorKind is the --json error kind of err: the library's (hashstore.ErrorKind), plus
// objects_failed for a bulk run in which some objects failed.
func errorKind(err error) string {
	if errors.Is(err, errObjectsFailed) {
		return "objects_failed"
	}
	return hashstore.ErrorKind(err)
}
