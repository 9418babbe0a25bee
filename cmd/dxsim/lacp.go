package main

import "github.com/spf13/cobra"

func init() { subcommands = append(subcommands, newLACPCmd) }

// newLACPCmd groups the LACP tools.
func newLACPCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lacp",
		Short: "Capture and read LACP conversations",
	}
	cmd.AddCommand(newLACPDecodeCmd())
	cmd.AddCommand(newLACPCaptureCmd())
	return cmd
}
