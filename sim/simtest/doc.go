// Package simtest provides fakes for testing the control plane without root:
// a clock that moves only when told and a data plane that records calls and
// reports the events a real one would; and readers of the PDFs it issues
// (LOA-CFAs), to check what they say.
package simtest
