package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/dxsim/dxsim"

// goPackage is what `go list -json` says of a package that the house rules
// look at.
type goPackage struct {
	ImportPath   string
	Deps         []string // every package it needs, transitively
	TestImports  []string
	XTestImports []string
}

// houseRule forbids the packages under From to depend on any under Not.
type houseRule struct {
	From []string
	Not  []string
	Why  string
}

// houseRules are the dependencies the folders follow: the control plane and
// the LACP library run without root, so they never reach the kernel's
// netlink, the data plane or the capture; the LACP library knows nothing of
// Direct Connect.
var houseRules = []houseRule{
	{From: []string{module + "/sim", module + "/lacp"},
		Not: []string{"github.com/vishvananda/netlink", module + "/topology"},
		Why: "the control plane and the LACP library run without root"},
	{From: []string{module + "/lacp"}, Not: []string{module + "/sim"},
		Why: "the LACP library knows nothing of Direct Connect"},
}

func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// houseViolations lists every dependency that breaks a rule: of a package
// itself (transitively) or of its tests (directly).
func houseViolations(pkgs []goPackage, rules []houseRule) []string {
	var out []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !slices.ContainsFunc(r.From, func(root string) bool { return under(p.ImportPath, root) }) {
				continue
			}
			for _, deps := range [][]string{p.Deps, p.TestImports, p.XTestImports} {
				for _, d := range deps {
					if slices.ContainsFunc(r.Not, func(root string) bool { return under(d, root) }) {
						out = append(out, p.ImportPath+" imports "+d+": "+r.Why)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func goList(t *testing.T) []goPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err, "go list")
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// TestHouseRules: no package breaks a rule of houseRules.
func TestHouseRules(t *testing.T) {
	t.Parallel()
	assert.Empty(t, houseViolations(goList(t), houseRules))
}

// TestHouseRulesCatchAForbiddenImport: the check fails on each kind of
// forbidden import, through a dependency or in a test, and passes the
// allowed ones.
func TestHouseRulesCatchAForbiddenImport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pkg  goPackage
		want int
	}{
		{"sim needs netlink through a dependency", goPackage{ImportPath: module + "/sim/api", Deps: []string{module + "/sim", "github.com/vishvananda/netlink"}}, 1},
		{"lacp test imports topology", goPackage{ImportPath: module + "/lacp/verify", XTestImports: []string{module + "/topology/capture"}}, 1},
		{"lacp imports sim", goPackage{ImportPath: module + "/lacp/engine", TestImports: []string{module + "/sim/simtest"}}, 1},
		{"topology may import sim and netlink", goPackage{ImportPath: module + "/topology/observe", Deps: []string{module + "/sim", "github.com/vishvananda/netlink"}}, 0},
		{"a name that only starts like a root", goPackage{ImportPath: module + "/simulator", Deps: []string{"github.com/vishvananda/netlink"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Len(t, houseViolations([]goPackage{tc.pkg}, houseRules), tc.want)
		})
	}
}

// TestReadmeLayoutMatchesThePackages: the README's layout table names every
// package of the module, and nothing that is not one.
func TestReadmeLayoutMatchesThePackages(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("README.md is not beside the test: run from a checkout (scripts/vmtest copies only test binaries)")
	}
	require.NoError(t, err)
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z0-9_/.]+)` \\|")
	var listed []string
	inLayout := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inLayout = line == "## Layout"
		case inLayout:
			if m := row.FindStringSubmatch(line); m != nil && !strings.Contains(m[1], ".") && !strings.HasSuffix(m[1], "/") {
				listed = append(listed, m[1])
			}
		}
	}
	require.NoError(t, sc.Err())
	var pkgs []string
	for _, p := range goList(t) {
		pkgs = append(pkgs, strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/"))
	}
	slices.Sort(listed)
	slices.Sort(pkgs)
	assert.Equal(t, pkgs, listed, "README.md's layout table, one row per package (`go list ./...`)")
}
