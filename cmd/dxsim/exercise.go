package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/dxsim/dxsim/sim/dxapi"
	"github.com/dxsim/dxsim/sim/exercise"
)

func init() { subcommands = append(subcommands, newExerciseCmd) }

// exerciseFlags are what every exercise subcommand takes.
type exerciseFlags struct {
	clientFlags
	dir string
}

func (f *exerciseFlags) register(c *cobra.Command) {
	f.clientFlags.register(c)
	c.Flags().StringVar(&f.dir, "dir", filepath.Join(defaultStateDir(), "exercises"), "where started exercises are kept (what they made, when they started)")
}

func (f *exerciseFlags) runner(out io.Writer) *exercise.Runner {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		id, secret = "dxsim", "dxsim"
	}
	return &exercise.Runner{
		AWS: &exercise.AWS{Endpoint: f.endpoint, Region: f.region,
			Creds: aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}},
		DX:  dxapi.NewClient(f.endpoint),
		Dir: f.dir,
		Out: out,
	}
}

func newExerciseCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "exercise",
		Short: "Training exercises that start broken and check themselves, on a running dxsim serve",
		Long: `An exercise builds a lab through the Direct Connect API of a running dxsim serve
(--endpoint), breaks it with faults, and tells the trainee what is wrong as a user
would see it. "check" says which of its checks hold: they look at what the Direct
Connect API and the data plane report, never at how the trainee got there.
"hint" gives the next hint; "solve" applies the reference solution (through the
AWS API and the customer's router, as a trainee would); "stop" removes what the
exercise made. An exercise is named by its ID (dxsim exercise list) or by the path
of an exercise file of one's own.`,
	}
	c.AddCommand(newExerciseListCmd(), newExerciseStartCmd(), newExerciseCheckCmd(), newExerciseHintCmd(),
		newExerciseSolveCmd(), newExerciseStopCmd())
	return c
}

func newExerciseListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the shipped exercises",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := exercise.Shipped()
			if err != nil {
				return err
			}
			if asJSON {
				type item struct {
					ID    string `json:"id"`
					Title string `json:"title"`
					Hints int    `json:"hints"`
				}
				var items []item
				for _, e := range all {
					items = append(items, item{ID: e.ID, Title: e.Title, Hints: len(e.Hints)})
				}
				return printJSON(cmd.OutOrStdout(), items)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTITLE")
			for _, e := range all {
				fmt.Fprintf(tw, "%s\t%s\n", e.ID, e.Title)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return c
}

// exerciseCmd is a subcommand on one exercise: its ID or file.
func exerciseCmd(use, short string, run func(ctx context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error) (*cobra.Command, *exerciseFlags) {
	var f exerciseFlags
	c := &cobra.Command{
		Use:   use + " ID|FILE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := exercise.Find(args[0])
			if err != nil {
				return err
			}
			r := f.runner(cmd.OutOrStdout())
			// A started exercise talks to the serve it was started on,
			// unless told otherwise.
			if s, err := r.Session(e.ID); err == nil && s.Endpoint != "" && !cmd.Flags().Changed("endpoint") {
				f.endpoint = s.Endpoint
				r = f.runner(cmd.OutOrStdout())
			}
			return run(cmd.Context(), cmd.OutOrStdout(), r, e)
		},
	}
	f.register(c)
	return c, &f
}

func newExerciseStartCmd() *cobra.Command {
	c, _ := exerciseCmd("start", "Build the exercise's lab on the running serve, break it, and print the brief",
		func(ctx context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error {
			fmt.Fprintf(out, "starting %s: %s (building the lab through the Direct Connect API, then breaking it)...\n", e.ID, e.Title)
			s, err := r.Start(ctx, e)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s\n\n%s\n\n", e.Title, indent(exercise.Brief(e, s)))
			fmt.Fprintf(out, "dxsim exercise check %s says what still fails; hint %s gives a hint; stop %s removes it all.\n", e.ID, e.ID, e.ID)
			return nil
		})
	return c
}

func newExerciseCheckCmd() *cobra.Command {
	var asJSON bool
	c, _ := exerciseCmd("check", "Check the exercise: exit 0 only when every check holds, and say which do not",
		func(ctx context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error {
			s, err := r.Session(e.ID)
			if err != nil {
				return err
			}
			rs := r.Check(ctx, e, s)
			if asJSON {
				if err := printJSON(out, struct {
					Solved bool              `json:"solved"`
					Checks []exercise.Result `json:"checks"`
				}{exercise.Solved(rs), rs}); err != nil {
					return err
				}
			} else {
				printResults(out, rs)
			}
			if !exercise.Solved(rs) {
				return errNotSolved
			}
			if !asJSON {
				fmt.Fprintf(out, "%s: solved\n", e.ID)
			}
			return nil
		})
	c.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return c
}

// errNotSolved makes check exit 1, its results already printed.
var errNotSolved = &quietError{errors.New("not solved yet")}

func printResults(out io.Writer, rs []exercise.Result) {
	for _, r := range rs {
		if r.OK {
			fmt.Fprintf(out, "  ok    %s\n", r.Name)
		} else {
			fmt.Fprintf(out, "  FAIL  %s: %s\n", r.Name, r.Why)
		}
	}
}

func newExerciseHintCmd() *cobra.Command {
	c, _ := exerciseCmd("hint", "Give the exercise's next hint",
		func(_ context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error {
			s, err := r.Session(e.ID)
			if err != nil {
				return err
			}
			n, h, err := r.Hint(e, s)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "hint %d of %d: %s\n", n, len(e.Hints), h)
			return nil
		})
	return c
}

func newExerciseSolveCmd() *cobra.Command {
	c, _ := exerciseCmd("solve", "Apply the exercise's reference solution, then check it",
		func(ctx context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error {
			s, err := r.Session(e.ID)
			if err != nil {
				return err
			}
			if err := r.Solve(ctx, e, s); err != nil {
				return fmt.Errorf("solving %s: %w", e.ID, err)
			}
			rs := r.Check(ctx, e, s)
			printResults(out, rs)
			if !exercise.Solved(rs) {
				return fmt.Errorf("%s: the reference solution ran, but not every check holds", e.ID)
			}
			fmt.Fprintf(out, "%s: solved\n", e.ID)
			return nil
		})
	return c
}

func newExerciseStopCmd() *cobra.Command {
	c, _ := exerciseCmd("stop", "Remove what the exercise made: its faults, VIFs, gateways, LAGs and connections",
		func(ctx context.Context, out io.Writer, r *exercise.Runner, e *exercise.Exercise) error {
			s, err := r.Session(e.ID)
			if err != nil {
				return err
			}
			if err := r.Stop(ctx, s); err != nil {
				return fmt.Errorf("stopping %s: %w", e.ID, err)
			}
			fmt.Fprintf(out, "%s stopped: removed %s\n", e.ID, strings.Join(s.Made, ", "))
			return nil
		})
	return c
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
