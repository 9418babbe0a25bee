package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "dxsim",
		Short:         "A simulated AWS Direct Connect endpoint with real link behaviour",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands holds the constructors of dxsim's commands; each command's file
// registers its own in an init function, so commands land independently.
var subcommands []func() *cobra.Command
