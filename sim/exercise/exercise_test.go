package exercise

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShippedExercisesParse: every shipped exercise is well formed, and
// there are at least eight.
func TestShippedExercisesParse(t *testing.T) {
	all, err := Shipped()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(all), 8)
	for _, e := range all {
		assert.NotEmpty(t, e.Hints, e.ID)
	}
}

// TestValidateNamesProblems: a bad exercise file is refused, each problem
// named.
func TestValidateNamesProblems(t *testing.T) {
	_, err := Parse(strings.NewReader(`{"id": "Bad ID", "title": "", "brief": "x",
	  "setup": [{"op": "CreateLag", "input": {"lagId": "${nothing}"}}, {"sleep": "1s", "op": "X"}],
	  "checks": [{"name": "c", "lag": "${lag}", "bgp": "up"}],
	  "hints": ["h"],
	  "solution": [{"fault": {"connection": "${lag}", "side": "customer", "lacp": "silent"}}]}`))
	require.Error(t, err)
	for _, want := range []string{
		`id "Bad ID"`, "title is empty",
		"setup[0]: ${nothing} is not bound by an earlier step",
		"setup[1]: a step is one of op, wait, fault, customer and sleep; 2 given",
		"checks[0] (c): bgp is a condition on a vif",
		"checks[0] (c): ${lag} is not bound by the setup",
		"solution[0]: a solution sets no fault",
	} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = Parse(strings.NewReader(`{"id": "x", "colour": 1}`))
	assert.ErrorContains(t, err, `unknown field "colour"`)
}

func TestLookupAndExpand(t *testing.T) {
	v := map[string]any{"connections": []any{map[string]any{"connectionId": "dxcon-1"}}, "n": 2.0}
	got, ok := lookup(v, "connections.0.connectionId")
	assert.True(t, ok)
	assert.Equal(t, "dxcon-1", got)
	got, ok = lookup(v, "n")
	assert.True(t, ok)
	assert.Equal(t, "2", got)
	_, ok = lookup(v, "connections.3.connectionId")
	assert.False(t, ok)
	assert.Equal(t, `{"a": "dxcon-1", "b": "${other}"}`, expand(`{"a": "${c}", "b": "${other}"}`, map[string]string{"c": "dxcon-1"}))
}
