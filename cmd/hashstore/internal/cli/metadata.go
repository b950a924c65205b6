package cli

import (
	"github.com/spf13/cobra"

	"github.com/hashstore-go/hashstore/hashstore"
)

func init() { register(newMetadataCmd) }

func newMetadataCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metadata put|get|delete",
		Short: "Store, retrieve and delete metadata documents (system metadata)",
		Long: `A pid may have one metadata document per format id (namespace) beside its object; the
default format id is the store's namespace (store_metadata_namespace in hashstore.yaml),
which holds the DataONE system metadata. A document may be stored before its object.`,
		Example: `  hashstore --store /var/metacat/hashstore metadata put --pid jtao.1700.1 jtao.1700.1.xml
  hashstore metadata get --pid jtao.1700.1 -o jtao.1700.1.xml
  hashstore metadata delete --pid jtao.1700.1 --all`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return UsageErrorf("metadata needs a subcommand: put, get or delete")
		},
	}
	cmd.AddCommand(newMetadataPutCmd(a), newMetadataGetCmd(a), newMetadataDeleteCmd(a))
	return cmd
}

// metadataOptions returns the format id option when --format-id was given.
func metadataOptions(cmd *cobra.Command, formatID string) []hashstore.MetadataOption {
	if cmd.Flags().Changed("format-id") {
		return []hashstore.MetadataOption{hashstore.WithFormatID(formatID)}
	}
	return nil
}

// effectiveFormatID is --format-id, or the store's namespace without it.
func effectiveFormatID(cmd *cobra.Command, st *hashstore.FileHashStore, formatID string) string {
	if cmd.Flags().Changed("format-id") {
		return formatID
	}
	return st.Config().MetadataNamespace
}

func newMetadataPutCmd(a *App) *cobra.Command {
	var pid, formatID string
	cmd := &cobra.Command{
		Use:   "put --pid PID [--format-id F] FILE|-",
		Short: "Store or replace a metadata document (storeMetadata)",
		Long: `put stores FILE ("-" for stdin) as PID's metadata document in format F (default: the
store's namespace), atomically replacing an earlier version. Prints the document's path
(with --json: {"pid": PID, "format_id": F, "path": PATH}).`,
		Example: `  hashstore --store /var/metacat/hashstore metadata put --pid jtao.1700.1 jtao.1700.1.xml
  hashstore metadata put --pid jtao.1700.1 --format-id https://eml.ecoinformatics.org/eml-2.2.0 - < eml.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, in, err := a.OpenStoreAndInput(ctx, "store metadata", pid, args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			path, err := st.StoreMetadata(ctx, pid, in, metadataOptions(cmd, formatID)...)
			if err != nil {
				return err
			}
			if a.Flags.JSON {
				return a.PrintJSON(map[string]any{"pid": pid, "format_id": effectiveFormatID(cmd, st, formatID), "path": path})
			}
			return a.Printf("%s\n", path)
		},
	}
	cmd.Flags().StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	cmd.Flags().StringVar(&formatID, "format-id", "", "the document's format id `F` (default: the store's namespace)")
	cmd.MarkFlagRequired("pid")
	return cmd
}

func newMetadataGetCmd(a *App) *cobra.Command {
	var pid, formatID, output string
	cmd := &cobra.Command{
		Use:   "get --pid PID [--format-id F] [-o FILE]",
		Short: "Write a metadata document to stdout or a file (retrieveMetadata)",
		Long: `get writes PID's metadata document in format F (default: the store's namespace) to
stdout, or to FILE with -o (written to a new file of its own beside FILE and renamed over it,
as "get -o" does, so a failure leaves FILE as it was). A missing document fails with kind
not_found.`,
		Example: `  hashstore --store /var/metacat/hashstore metadata get --pid jtao.1700.1
  hashstore metadata get --pid jtao.1700.1 --format-id https://eml.ecoinformatics.org/eml-2.2.0 -o eml.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.OpenStore(hashstore.WithReadOnly())
			if err != nil {
				return err
			}
			r, err := st.RetrieveMetadata(ctx, pid, metadataOptions(cmd, formatID)...)
			if err != nil {
				return err
			}
			defer r.Close()
			opErr := func(err error) error { return &hashstore.OpError{Op: "retrieve metadata", ID: pid, Err: err} }
			out, err := a.CreateOutput(output)
			if err != nil {
				return opErr(err)
			}
			defer out.Abort()
			n, err := copyOut(ctx, out, r, -1)
			if err == nil {
				err = out.Commit()
			}
			if err != nil {
				return opErr(err)
			}
			if a.Flags.JSON && out.Path() != "" {
				return a.PrintJSON(map[string]any{"pid": pid, "format_id": effectiveFormatID(cmd, st, formatID), "path": out.Path(), "size": n})
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	f.StringVar(&formatID, "format-id", "", "the document's format id `F` (default: the store's namespace)")
	f.StringVarP(&output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.MarkFlagRequired("pid")
	return cmd
}

func newMetadataDeleteCmd(a *App) *cobra.Command {
	var pid, formatID string
	var all bool
	cmd := &cobra.Command{
		Use:   "delete --pid PID (--format-id F | --all)",
		Short: "Delete one or all metadata documents of a pid (deleteMetadata)",
		Long: `delete removes PID's metadata document in format F, or with --all every metadata
document of PID; exactly one of the two is required. A document that does not exist is not
an error. Prints nothing on success unless --json
({"pid": PID, "format_id": F, "deleted": true} or {"pid": PID, "all": true, "deleted": true}).`,
		Example: `  hashstore --store /var/metacat/hashstore metadata delete --pid jtao.1700.1 --format-id https://ns.dataone.org/service/types/v2.0#SystemMetadata
  hashstore metadata delete --pid jtao.1700.1 --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.OpenStore()
			if err != nil {
				return err
			}
			doc := map[string]any{"pid": pid, "deleted": true}
			if all {
				err = st.DeleteAllMetadata(ctx, pid)
				doc["all"] = true
			} else {
				err = st.DeleteMetadata(ctx, pid, formatID)
				doc["format_id"] = formatID
			}
			if err != nil {
				return err
			}
			if a.Flags.JSON {
				return a.PrintJSON(doc)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pid, "pid", "", "the persistent identifier (`PID`)")
	f.StringVar(&formatID, "format-id", "", "delete the document in format id `F`")
	f.BoolVar(&all, "all", false, "delete every metadata document of the pid")
	cmd.MarkFlagRequired("pid")
	cmd.MarkFlagsOneRequired("format-id", "all")
	cmd.MarkFlagsMutuallyExclusive("format-id", "all")
	return cmd
}
