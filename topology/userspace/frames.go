package userspace

import (
	"encoding/binary"
)

const (
	etherTypeVLAN = 0x8100
	etherTypeSlow = 0x8809
	macHeaderLen  = 12 // destination and source MACs
)

// tag returns frame with an 802.1Q tag carrying vid inserted after the MACs,
// appended to dst.
func tag(dst, frame []byte, vid uint16) []byte {
	if len(frame) < macHeaderLen {
		return append(dst, frame...)
	}
	dst = append(dst, frame[:macHeaderLen]...)
	dst = binary.BigEndian.AppendUint16(dst, etherTypeVLAN)
	dst = binary.BigEndian.AppendUint16(dst, vid&0x0fff)
	return append(dst, frame[macHeaderLen:]...)
}

// untag removes a leading 802.1Q tag from frame in place and returns its VLAN
// ID and the untagged frame; ok is false when frame carries no tag.
func untag(frame []byte) (vid uint16, inner []byte, ok bool) {
	if len(frame) < macHeaderLen+4+2 || binary.BigEndian.Uint16(frame[macHeaderLen:]) != etherTypeVLAN {
		return 0, frame, false
	}
	vid = binary.BigEndian.Uint16(frame[macHeaderLen+2:]) & 0x0fff
	copy(frame[4:], frame[:macHeaderLen])
	return vid, frame[4:], true
}

func etherType(frame []byte) uint16 {
	if len(frame) < macHeaderLen+2 {
		return 0
	}
	return binary.BigEndian.Uint16(frame[macHeaderLen:])
}

// flowHash is a frame's distribution hash: its MAC pair, as bonding's
// layer2 transmit hash, so one conversation stays on one member and keeps
// its order.
func flowHash(frame []byte) uint32 {
	if len(frame) < macHeaderLen {
		return 0
	}
	// FNV-1a, inline: the hash runs once per frame and must not allocate.
	h := uint32(2166136261)
	for _, b := range frame[:macHeaderLen] {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
