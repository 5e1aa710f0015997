/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * insn.c - the length of one x86-64 (64-bit mode) instruction.
 *
 * Trap handlers use it to step over the instruction that faulted (ud2, a
 * ring-3 wrmsr/in/out/cli/hlt, a div by zero, ...), so it must agree with
 * the CPU on every encoding a program can contain.  The instruction is
 *
 *   [legacy prefixes] [REX] opcode [ModRM [SIB] [disp]] [imm]
 *   [legacy prefixes] VEX2/VEX3/EVEX opcode ModRM [SIB] [disp] [imm8]
 *
 * (in 64-bit mode C4, C5 and 62 always start VEX/EVEX: LES, LDS and BOUND
 * do not exist there)
 *
 * and its length follows from a few bits: which opcode map, whether the
 * opcode has a ModRM byte, the kind of immediate it takes, and the 66
 * (operand size), 67 (address size) and REX.W prefixes.  One table per
 * legacy map holds the first two; the VEX/EVEX maps are regular enough to
 * need none (every opcode has a ModRM byte except VEX 0F 77, and imm8 is
 * fixed per map/opcode).
 *
 * What is refused (-EINVAL): opcodes that do not exist in 64-bit mode
 * (push/pop of ES/CS/SS/DS, BCD adjust, pusha/popa, bound -- 62 is always
 * EVEX here --, into, far call/jmp direct, aam/aad/salc, 82), unassigned
 * opcodes of the one-byte and 0F maps, undefined members of the one-byte
 * groups FE, FF, C6, C7 and 8F, VEX or EVEX after a 66/F2/F3/F0/REX
 * prefix (#UD by the SDM; objdump decodes them anyway), VEX maps other than
 * 0F/0F38/0F3A and EVEX maps other than 1, 2, 3, 5, 6 (APX's map 4 is not
 * decoded; VEX/EVEX map 7 has imm32 forms), AMD's 3DNow! (0F 0E, 0F 0F)
 * and XOP (8F /1-7), which no current CPU implements, and anything longer
 * than 15 bytes.  Not refused: an instruction whose encoding is well formed
 * but that faults for another reason (a misplaced LOCK, a register operand
 * where memory is required, a missing CPUID feature, an unassigned opcode
 * inside the 0F38/0F3A or VEX/EVEX maps, or a group of the 0F map): its
 * length is the length the CPU decodes, which is what a handler that skips
 * it needs.
 *
 * Vendor choices, Intel's where the two differ: E8/E9/Jcc rel32 keep their
 * 4-byte displacement under 66 (AMD would take 2); 0F FF (ud0) has a ModRM
 * byte.  Extensions that other VMX-capable or current CPUs implement and
 * whose encodings collide with nothing of Intel's are decoded: AMD's SSE4a
 * extrq/insertq (66/F2 0F 78 ib ib) and VIA/Zhaoxin PadLock (0F A6/A7 with
 * a ModRM byte).
 *
 * Checked against objdump over real binaries (tests/insn_test.c).
 *
 * Pure: no libc, no allocation, reads only @buf[0..min(@len, 15)).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "libdune.h"

#define INSN_MAX	15

/* Immediate kinds (bits 2:0 of a table entry). */
enum {
	I_NONE,
	I_B,	/* imm8 */
	I_W,	/* imm16 */
	I_Z,	/* imm16 with 66 (and no REX.W), else imm32 */
	I_V,	/* B8+r: imm64 with REX.W, imm16 with 66, else imm32 */
	I_D,	/* rel32 of E8/E9/0F 8x: 66 does not shrink it (Intel) */
	I_WB,	/* enter: imm16 + imm8 */
	I_M,	/* A0-A3 moffs: the address size, 8 bytes or 4 with 67 */
};
#define IMM_MASK	0x07
#define F_MODRM		0x08	/* a ModRM byte follows the opcode */
#define F_INVALID	0x10	/* no such instruction in 64-bit mode */
#define F_PREFIX	0x20	/* a legacy prefix (one-byte map only) */
#define F_GROUP		0x40	/* ModRM.reg selects validity or imm (one-byte map) */
#define F_MODREG	0x80	/* 0F 20-23: ModRM.mod is ignored, always a register */

/* Short names for the tables below only. */
#define _	0
#define X	F_INVALID
#define P	F_PREFIX
#define B	I_B
#define W	I_W
#define Z	I_Z
#define V	I_V
#define D	I_D
#define M	F_MODRM
#define MB	(F_MODRM | I_B)
#define MZ	(F_MODRM | I_Z)
#define G	(F_MODRM | F_GROUP)
#define GB	(F_MODRM | F_GROUP | I_B)
#define GZ	(F_MODRM | F_GROUP | I_Z)
#define CR	(F_MODRM | F_MODREG)

/*
 * The one-byte map.  0F, 62, C4 and C5 are escapes handled before the
 * table is read (their entries are never used).  40-4F are REX, handled
 * with the prefixes.  F6/F7 are GB/GZ: only /0 and /1 (test) keep the
 * immediate.
 */
static const uint8_t map_1byte[256] = {
/*	 0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */	 M,  M,  M,  M,  B,  Z,  X,  X,  M,  M,  M,  M,  B,  Z,  X,  _,
/* 1 */	 M,  M,  M,  M,  B,  Z,  X,  X,  M,  M,  M,  M,  B,  Z,  X,  X,
/* 2 */	 M,  M,  M,  M,  B,  Z,  P,  X,  M,  M,  M,  M,  B,  Z,  P,  X,
/* 3 */	 M,  M,  M,  M,  B,  Z,  P,  X,  M,  M,  M,  M,  B,  Z,  P,  X,
/* 4 */	 P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,  P,
/* 5 */	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,
/* 6 */	 X,  X,  _,  M,  P,  P,  P,  P,  Z, MZ,  B, MB,  _,  _,  _,  _,
/* 7 */	 B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,
/* 8 */	MB, MZ,  X, MB,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  G,
/* 9 */	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  X,  _,  _,  _,  _,  _,
/* a */	I_M, I_M, I_M, I_M, _, _, _, _,  B,  Z,  _,  _,  _,  _,  _,  _,
/* b */	 B,  B,  B,  B,  B,  B,  B,  B,  V,  V,  V,  V,  V,  V,  V,  V,
/* c */	MB, MB,  W,  _,  _,  _, GB, GZ, I_WB, _, W,  _,  _,  B,  X,  _,
/* d */	 M,  M,  M,  M,  X,  X,  X,  _,  M,  M,  M,  M,  M,  M,  M,  M,
/* e */	 B,  B,  B,  B,  B,  B,  B,  B,  D,  D,  X,  B,  _,  _,  _,  _,
/* f */	 P,  _,  P,  P,  _,  _, GB, GZ,  _,  _,  _,  _,  _,  _,  G,  G,
};

/*
 * The 0F map.  38 and 3A are escapes to the three-byte maps (every opcode
 * there has a ModRM byte; 0F3A ones also an imm8).  78 is vmread, or with
 * 66/F2 AMD's extrq/insertq with two imm8 (handled in the code).  0B ud2
 * has no ModRM, B9 ud1 and FF ud0 have one.  0E/0F are 3DNow! (refused),
 * A6/A7 PadLock.  80-8F: Jcc rel32.
 */
static const uint8_t map_0f[256] = {
/*	 0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */	 M,  M,  M,  M,  X,  _,  _,  _,  _,  _,  X,  _,  X,  M,  X,  X,
/* 1 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 2 */	CR, CR, CR, CR,  X,  X,  X,  X,  M,  M,  M,  M,  M,  M,  M,  M,
/* 3 */	 _,  _,  _,  _,  _,  _,  X,  _,  _,  X,  _,  X,  X,  X,  X,  X,
/* 4 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 5 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 6 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 7 */	MB, MB, MB, MB,  M,  M,  M,  _,  M,  M,  X,  X,  M,  M,  M,  M,
/* 8 */	 D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,  D,
/* 9 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* a */	 _,  _,  _,  M, MB,  M,  M,  M,  _,  _,  _,  M, MB,  M,  M,  M,
/* b */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M, MB,  M,  M,  M,  M,  M,
/* c */	 M,  M, MB,  M, MB, MB, MB,  M,  _,  _,  _,  _,  _,  _,  _,  _,
/* d */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* e */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* f */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
};

#undef _
#undef X
#undef P
#undef B
#undef W
#undef Z
#undef V
#undef D
#undef M
#undef MB
#undef MZ
#undef G
#undef GB
#undef GZ
#undef CR

/* The opcodes of the VEX/EVEX 0F map that take an imm8 (as in legacy 0F). */
static int vex_0f_imm8(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/*
 * The next byte, or out of the function: -EINVAL once the instruction
 * would pass 15 bytes (the CPU raises #GP there, whatever follows), else
 * -ENODATA when the buffer ends first.
 */
#define NEXT(var)							\
	do {								\
		if (pos >= INSN_MAX)					\
			return -EINVAL;					\
		if (pos >= len)						\
			return -ENODATA;				\
		(var) = buf[pos++];					\
	} while (0)

int dune_insn_len(const uint8_t *buf, size_t len)
{
	size_t pos = 0, disp = 0, imm = 0, total;
	int opsize16 = 0, addr32 = 0, lock = 0;
	uint8_t rex = 0, rep = 0;	/* rep: the last F2/F3, 0 if none */
	uint8_t op, flags, modrm, sib, b1, b2, b3;
	int onebyte = 0;

	/* Legacy prefixes, any number and order; a REX counts only last. */
	for (;;) {
		NEXT(op);
		if (op >= 0x40 && op <= 0x4f) {
			rex = op;
			continue;
		}
		if (!(map_1byte[op] & F_PREFIX))
			break;
		/* A REX followed by a legacy prefix is ignored by the CPU. */
		rex = 0;
		if (op == 0x66)
			opsize16 = 1;
		else if (op == 0x67)
			addr32 = 1;
		else if (op == 0xf2 || op == 0xf3)
			rep = op;
		else if (op == 0xf0)
			lock = 1;
		/* 26 2E 36 3E 64 65: segment overrides, no effect on length. */
	}

	switch (op) {
	case 0x0f:
		NEXT(op);
		if (op == 0x38) {
			NEXT(op);
			flags = F_MODRM;
		} else if (op == 0x3a) {
			NEXT(op);
			flags = F_MODRM | I_B;
		} else {
			flags = map_0f[op];
			/* 66/F2 0F 78: extrq/insertq xmm, ib, ib (mandatory prefix:
			 * the last F2/F3 wins over 66). */
			if (op == 0x78 && (rep == 0xf2 || (!rep && opsize16)))
				imm = 2;
		}
		break;
	case 0xc5:	/* 2-byte VEX: [R vvvv L pp], map 0F */
	case 0xc4:	/* 3-byte VEX: [R X B mmmmm] [W vvvv L pp] */
	case 0x62:	/* EVEX: [R X B R' 0 mmm] [W vvvv 1 pp] [z L'L b V' aaa] */
		if (opsize16 || rep || lock || rex)
			return -EINVAL;
		NEXT(b1);
		if (op == 0xc5) {
			NEXT(op);
			flags = op == 0x77 ? 0 : F_MODRM;	/* vzeroupper/all */
			if (vex_0f_imm8(op))
				flags |= I_B;
			break;
		}
		if (op == 0xc4) {
			if ((b1 & 0x1f) < 1 || (b1 & 0x1f) > 3)
				return -EINVAL;
			NEXT(b2);
			(void)b2;	/* W vvvv L pp: no effect on length */
			NEXT(op);
			switch (b1 & 0x1f) {
			case 1:
				flags = op == 0x77 ? 0 : F_MODRM;
				if (vex_0f_imm8(op))
					flags |= I_B;
				break;
			case 2:
				flags = F_MODRM;
				break;
			default:
				flags = F_MODRM | I_B;
				break;
			}
			break;
		}
		/*
		 * EVEX: maps 1-3 are 0F/0F38/0F3A, 5 and 6 are AVX512-FP16's
		 * (no immediates).  Map 4 (APX's promoted legacy opcodes, with
		 * one-byte-map immediates) and 7 (imm32 forms) are refused.
		 * P0 bit 3 and P1 bit 2, fixed 0 and 1 before APX/AVX10.2
		 * gave them meanings (B4, X4/U), do not change the length:
		 * not checked.
		 */
		if ((b1 & 0x07) == 0 || (b1 & 0x07) == 4 || (b1 & 0x07) == 7)
			return -EINVAL;
		NEXT(b2);
		NEXT(b3);
		(void)b2;	/* W vvvv U pp: no effect on length */
		(void)b3;	/* z L'L b V' aaa: no effect on length */
		NEXT(op);
		flags = F_MODRM;
		if ((b1 & 0x07) == 3 || ((b1 & 0x07) == 1 && vex_0f_imm8(op)))
			flags |= I_B;
		break;
	default:
		onebyte = 1;
		flags = map_1byte[op];
		break;
	}

	if (flags & F_INVALID)
		return -EINVAL;

	if (flags & F_MODRM) {
		unsigned int mod, reg, rm;

		NEXT(modrm);
		mod = modrm >> 6;
		reg = (modrm >> 3) & 7;
		rm = modrm & 7;
		if (flags & F_MODREG)
			mod = 3;
		/*
		 * 64-bit and 32-bit (67) addressing have the same shapes: rm=100
		 * brings a SIB, whose base=101 under mod=00 means disp32 and no
		 * base; mod=00 rm=101 is RIP/EIP-relative disp32.  REX.B does not
		 * change any of this (r12 needs a SIB too, r13 a displacement).
		 */
		if (mod != 3) {
			if (rm == 4) {
				NEXT(sib);
				if (mod == 0 && (sib & 7) == 5)
					disp = 4;
			}
			if (mod == 0 && rm == 5)
				disp = 4;
			else if (mod == 1)
				disp = 1;
			else if (mod == 2)
				disp = 4;
		}
		if (onebyte && (flags & F_GROUP)) {
			switch (op) {
			case 0x8f:	/* pop Ev; /1-7 is XOP (AMD) */
				if (reg)
					return -EINVAL;
				break;
			case 0xc6:	/* mov Eb, ib; xabort ib (C6 F8) */
			case 0xc7:	/* mov Ev, iz; xbegin rel16/32 (C7 F8) */
				if (reg && modrm != 0xf8)
					return -EINVAL;
				break;
			case 0xf6:	/* test Eb, ib (/0, /1); not neg mul imul div idiv */
			case 0xf7:
				if (reg >= 2)
					flags = (uint8_t)(flags & ~IMM_MASK);
				break;
			case 0xfe:	/* inc, dec Eb */
				if (reg >= 2)
					return -EINVAL;
				break;
			case 0xff:	/* inc dec call callf jmp jmpf push; /7 none */
				if (reg == 7)
					return -EINVAL;
				break;
			}
		}
	}

	switch (flags & IMM_MASK) {
	case I_B:
		imm += 1;
		break;
	case I_W:
		imm += 2;
		break;
	case I_Z:
		imm += opsize16 && !(rex & 0x08) ? 2 : 4;
		break;
	case I_V:
		imm += rex & 0x08 ? 8 : opsize16 ? 2 : 4;
		break;
	case I_D:
		imm += 4;
		break;
	case I_WB:
		imm += 3;
		break;
	case I_M:
		imm += addr32 ? 4 : 8;
		break;
	}

	total = pos + disp + imm;
	if (total > INSN_MAX)
		return -EINVAL;
	if (total > len)
		return -ENODATA;
	return (int)total;
}
