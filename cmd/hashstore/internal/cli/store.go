package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hashstore-go/hashstore/hashstore"
)

func init() { register(newInitCmd) }

// storeProperties is what init prints: the store and its hashstore.yaml properties.
type storeProperties struct {
	Store             string `json:"store"`
	Depth             int    `json:"store_depth"`
	Width             int    `json:"store_width"`
	Algorithm         string `json:"store_algorithm"`
	MetadataNamespace string `json:"store_metadata_namespace"`
	Created           bool   `json:"created"`
}

func newInitCmd(a *App) *cobra.Command {
	def := hashstore.DefaultConfig()
	cfg := def
	var algorithm string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a store, or check that an existing one has these properties",
		Long: `init creates the store at --store (writing hashstore.yaml and the store's directories)
with the given properties. If a store is already there, init checks that its hashstore.yaml
has exactly these properties and fails with kind config_mismatch, changing nothing, if it
does not. The defaults are those of every DataONE deployment.

The algorithm names objects; a new store uses one of MD5, SHA-1, SHA-256, SHA-384, SHA-512
(other spellings such as sha256 are accepted and recorded in the DataONE spelling). The
namespace is the default format id of metadata documents.

Prints the store's properties (as JSON with --json).`,
		Example: `  hashstore --store /var/metacat/hashstore init
  hashstore --store /tmp/test-store init --depth 3 --width 2 --algorithm SHA-256 \
      --namespace https://ns.dataone.org/service/types/v2.0#SystemMetadata --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := a.StoreDir()
			if err != nil {
				return err
			}
			cfg.Algorithm = hashstore.Algorithm(algorithm)
			if alg, err := hashstore.ParseAlgorithm(algorithm); err == nil {
				cfg.Algorithm = alg
			}
			_, statErr := os.Stat(filepath.Join(dir, "hashstore.yaml"))
			st, err := hashstore.New(dir, cfg, a.StoreOptions()...)
			if err != nil {
				return err
			}
			got := st.Config()
			props := storeProperties{Store: dir, Depth: got.Depth, Width: got.Width, Algorithm: string(got.Algorithm),
				MetadataNamespace: got.MetadataNamespace, Created: statErr != nil}
			if props.Created {
				a.Noticef("created the store %s", dir)
			} else {
				a.Noticef("the store %s exists and has these properties", dir)
			}
			if a.Flags.JSON {
				return a.PrintJSON(props)
			}
			return a.Printf("store: %s\nstore_depth: %d\nstore_width: %d\nstore_algorithm: %s\nstore_metadata_namespace: %s\n",
				props.Store, props.Depth, props.Width, props.Algorithm, props.MetadataNamespace)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Depth, "depth", def.Depth, "shard directory levels (`N`)")
	f.IntVar(&cfg.Width, "width", def.Width, "characters per shard directory name (`N`)")
	f.StringVar(&algorithm, "algorithm", string(def.Algorithm), "the store algorithm (`ALG`), which names objects")
	f.StringVar(&cfg.MetadataNamespace, "namespace", def.MetadataNamespace, "the default metadata format id (`NAMESPACE`)")
	return cmd
}
