package lacpfault

import "github.com/cilium/ebpf/asm"

// Direct-action verdicts.
const (
	tcActOK   = 0
	tcActShot = 2
)

// Where an untagged LACPDU's fields are in its frame: a 14-byte Ethernet
// header, subtype and version, then the Actor TLV (type, length, system
// priority 2, system 6, key 2, port priority 2, port 2, state 1, reserved 3)
// and the Partner TLV laid out the same.
const (
	offEtherType    = 12
	offSubtype      = 14
	offActorTLV     = 16
	offActorKey     = 26
	offActorState   = 32
	offPartnerTLV   = 36
	offPartnerKey   = 46
	offPartnerState = 52
	headLen         = offPartnerState + 1 - offEtherType // bytes the programs load
)

// Stack layout: the frame's bytes from the EtherType on are loaded to
// fp-56, so frame offset o is at fp-68+o; fp-64 is scratch for the bytes
// stored back.
const (
	stackHead    = -56
	stackScratch = -64
)

func fpOff(frameOff int) int16 { return int16(stackHead - offEtherType + frameOff) }

// The values the programs compare loaded bytes with, as native loads of
// wire bytes read them (a little-endian host: the wire's first byte lowest).
const (
	wireSlowProtocols = 0x0988 // 88 09
	wireActorTLV      = 0x1401 // type 1, length 20
	wirePartnerTLV    = 0x1402 // type 2, length 20
)

// program holds what both directions share: R6 the skb, R7 the config
// value, R8 the state value, R9 the config flags.
type program struct{ cfgFD, stateFD int }

// prologue loads the head of the frame and passes anything that is not an
// LACPDU with well-formed Actor and Partner TLVs.
func (p program) prologue(counter int16) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.Mov.Imm(asm.R2, offEtherType),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stackHead),
		asm.Mov.Imm(asm.R4, headLen),
		asm.FnSkbLoadBytes.Call(),
		asm.JNE.Imm(asm.R0, 0, "pass"), // shorter than an LACPDU's head
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offEtherType), asm.Half),
		asm.JNE.Imm(asm.R1, wireSlowProtocols, "pass"),
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offSubtype), asm.Byte),
		asm.JNE.Imm(asm.R1, 1, "pass"),
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offActorTLV), asm.Half),
		asm.JNE.Imm(asm.R1, wireActorTLV, "pass"),
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offPartnerTLV), asm.Half),
		asm.JNE.Imm(asm.R1, wirePartnerTLV, "pass"),
		asm.LoadMapValue(asm.R7, p.cfgFD, 0),
		asm.LoadMapValue(asm.R8, p.stateFD, 0),
		asm.LoadMem(asm.R9, asm.R7, cfgFlags, asm.Word),
		asm.Mov.Imm(asm.R1, 1),
		count(counter),
	}
}

// epilogue is where "pass" and "drop" lead.
func epilogue(dropCounter int16) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Imm(asm.R0, tcActOK).WithSymbol("pass"),
		asm.Return(),
		asm.Mov.Imm(asm.R1, 1).WithSymbol("drop"),
		count(dropCounter),
		asm.Mov.Imm(asm.R0, tcActShot),
		asm.Return(),
	}
}

// count adds R1 to a state counter.
func count(off int16) asm.Instruction {
	return asm.AddAtomic.Mem(asm.R8, asm.R1, asm.DWord, off)
}

// countSeq is count with the one it adds.
func countSeq(off int16) asm.Instructions {
	return asm.Instructions{asm.Mov.Imm(asm.R1, 1), count(off)}
}

// store writes n bytes from the scratch slot to the frame at frameOff and,
// when the kernel took them, counts it at counter.
func store(frameOff, n int, counter int16, done string) asm.Instructions {
	return append(asm.Instructions{
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, int32(frameOff)),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, stackScratch),
		asm.Mov.Imm(asm.R4, int32(n)),
		asm.Mov.Imm(asm.R5, 0),
		asm.FnSkbStoreBytes.Call(),
		asm.JNE.Imm(asm.R0, 0, done),
	}, countSeq(counter)...)
}

// flagClear jumps to label when none of flags is set in R9 (clobbers R1).
func flagClear(flags int32, label string) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.And.Imm(asm.R1, flags),
		asm.JEq.Imm(asm.R1, 0, label),
	}
}

// labeled puts label on the first of ins.
func labeled(label string, ins asm.Instructions) asm.Instructions {
	ins[0] = ins[0].WithSymbol(label)
	return ins
}

// egress handles the bond's own LACPDUs.
func (p program) egress() asm.Instructions {
	var ins asm.Instructions
	ins = append(ins, p.prologue(stEgressPDUs)...)
	// Learn the bond's actor state before anything changes it.
	ins = append(ins,
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offActorState), asm.Byte),
		asm.Or.Imm(asm.R1, stKnown),
		asm.StoreMem(asm.R8, stLocalState, asm.R1, asm.DWord),
		// Silent or a flap's down phase: drop.
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.And.Imm(asm.R1, flagSilent|flagFlapDown),
		asm.JNE.Imm(asm.R1, 0, "drop"),
	)
	// Passive: silent until the partner is Active, then Activity cleared.
	ins = append(ins, flagClear(flagPassive, "key")...)
	ins = append(ins,
		asm.LoadMem(asm.R1, asm.R8, stPartnerState, asm.DWord),
		asm.And.Imm(asm.R1, 1), // lacp.StateActivity
		asm.JEq.Imm(asm.R1, 0, "drop"),
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offActorState), asm.Byte),
		asm.Mov.Reg(asm.R2, asm.R1),
		asm.And.Imm(asm.R2, 1),
		asm.JEq.Imm(asm.R2, 0, "key"),
		asm.And.Imm(asm.R1, 0xfe),
		asm.StoreMem(asm.RFP, stackScratch, asm.R1, asm.Byte),
	)
	ins = append(ins, store(offActorState, 1, stActivityCleared, "key")...)
	// Key: learn the bond's key, then write the fault's.
	ins = append(ins, labeled("key", flagClear(flagKey, "pass"))...)
	ins = append(ins,
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offActorKey), asm.Half),
		asm.LoadMem(asm.R2, asm.R7, cfgKey, asm.Half),
		asm.JEq.Reg(asm.R1, asm.R2, "pass"),
		asm.Or.Imm(asm.R1, stKnown),
		asm.StoreMem(asm.R8, stLocalKey, asm.R1, asm.DWord),
		asm.StoreMem(asm.RFP, stackScratch, asm.R2, asm.Half),
	)
	ins = append(ins, store(offActorKey, 2, stActorKeyRewritten, "pass")...)
	return append(ins, epilogue(stDroppedEgress)...)
}

// ingress handles the partner's LACPDUs.
func (p program) ingress() asm.Instructions {
	var ins asm.Instructions
	ins = append(ins, p.prologue(stIngressPDUs)...)
	ins = append(ins,
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.And.Imm(asm.R1, flagFlapDown),
		asm.JNE.Imm(asm.R1, 0, "drop"),
		// What the partner says of itself, for Passive on egress.
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offActorState), asm.Byte),
		asm.Or.Imm(asm.R1, stKnown),
		asm.StoreMem(asm.R8, stPartnerState, asm.R1, asm.DWord),
	)
	// Passive: the partner echoes the Activity bit egress cleared; give the
	// bond back the bit it sent.
	ins = append(ins, flagClear(flagPassive, "key")...)
	ins = append(ins,
		asm.LoadMem(asm.R2, asm.R8, stLocalState, asm.DWord),
		asm.And.Imm(asm.R2, 1),
		asm.JEq.Imm(asm.R2, 0, "key"),
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offPartnerState), asm.Byte),
		asm.Mov.Reg(asm.R2, asm.R1),
		asm.And.Imm(asm.R2, 1),
		asm.JNE.Imm(asm.R2, 0, "key"),
		asm.Or.Imm(asm.R1, 1),
		asm.StoreMem(asm.RFP, stackScratch, asm.R1, asm.Byte),
	)
	ins = append(ins, store(offPartnerState, 1, stActivityRestored, "key")...)
	// Key: the partner's echo of the fault's key becomes the bond's again.
	ins = append(ins, labeled("key", flagClear(flagKey, "pass"))...)
	ins = append(ins,
		asm.LoadMem(asm.R1, asm.RFP, fpOff(offPartnerKey), asm.Half),
		asm.LoadMem(asm.R2, asm.R7, cfgKey, asm.Half),
		asm.JNE.Reg(asm.R1, asm.R2, "pass"),
		asm.LoadMem(asm.R3, asm.R8, stLocalKey, asm.DWord),
		asm.Mov.Reg(asm.R4, asm.R3),
		asm.And.Imm(asm.R4, stKnown),
		asm.JEq.Imm(asm.R4, 0, "pass"),
		asm.StoreMem(asm.RFP, stackScratch, asm.R3, asm.Half),
	)
	ins = append(ins, store(offPartnerKey, 2, stPartnerKeyRewritten, "pass")...)
	return append(ins, epilogue(stDroppedIngress)...)
}
