#!/bin/sh
# Regenerates the golden data of golden_test.go: Wireshark's reading of every
# frame of linux-bond-fast-3members.pcap (Debian 12's tshark 4.0.17 made the
# committed file). The test reads the file, so it runs without tshark.
#
#   lacp/testdata/wireshark-golden.sh > lacp/testdata/linux-bond-fast-3members.tshark.tsv
set -eu
cd "$(dirname "$0")"
fields=""
for f in frame.number frame.time_relative eth.src slow.subtype lacp.version \
	lacp.actor.sys_priority lacp.actor.sysid lacp.actor.key lacp.actor.port_priority lacp.actor.port \
	lacp.actor.state lacp.actor.state_str \
	lacp.partner.sys_priority lacp.partner.sysid lacp.partner.key lacp.partner.port_priority lacp.partner.port \
	lacp.partner.state lacp.partner.state_str \
	lacp.collector.max_delay; do
	fields="$fields -e $f"
done
# shellcheck disable=SC2086 # $fields is a list of arguments
exec tshark -n -r linux-bond-fast-3members.pcap -T fields -E header=y $fields 2>/dev/null
