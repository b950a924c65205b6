package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

// version is set at link time: go build -ldflags "-X github.com/hashstore-go/hashstore/cmd/hashstore/internal/cli.version=v1.2.3".
var version string

// Version returns the program's version: the one set at link time, else the module version
// recorded in the binary (with the VCS revision when there is one), else "devel".
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}

func newVersionCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the program's version",
		Long: `version prints the program's version and the Go release it was built with. It needs no
store. (hashstore --version prints the version alone.)`,
		Example: `  hashstore version
  hashstore version --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if a.Flags.JSON {
				return a.PrintJSON(map[string]string{"version": Version(), "go": runtime.Version()})
			}
			return a.Printf("hashstore %s (%s)\n", Version(), runtime.Version())
		},
	}
}
