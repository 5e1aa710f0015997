/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side unit tests of the x86-64 instruction length decoder
 * (libdune/insn.c): hand-written cases for each rule of the encoding, the
 * truncation and 15-byte limits, random bytes for memory safety and
 * consistency, and a corpus check against objdump over real binaries.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libdune.h"
#include "../../test/harness.h"

/* "0f 0b" -> bytes; returns the count.  Spaces are optional. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex) {
		unsigned int v;

		if (isspace((unsigned char)*hex)) {
			hex++;
			continue;
		}
		if (n >= max || sscanf(hex, "%2x", &v) != 1) {
			diag("bad hex string at \"%s\"", hex);
			abort();
		}
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/*
 * The length of the first @n bytes, from a heap buffer of exactly @n bytes
 * (so that ASan catches a read past the end).
 */
static int len_exact(const uint8_t *bytes, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	int r;

	if (!p)
		abort();
	memcpy(p, bytes, n);
	r = dune_insn_len(p, n);
	free(p);
	return r;
}

/*
 * Check one instruction: with its bytes alone and with 16 bytes of filler
 * after them (0xff, which a decoder that wrongly expects a ModRM or an
 * immediate would swallow), the length is @want; every truncation gives
 * -ENODATA.  For a negative @want, both buffers give @want.
 */
static int check_insn(const char *hex, int want, int line)
{
	uint8_t b[64];
	size_t n = parse_hex(hex, b, 32), i;
	int r, bad = 0;

	memset(b + n, 0xff, 16);
	r = len_exact(b, n);
	if (r != want) {
		diag("line %d: %s: exact buffer: got %d, want %d", line, hex, r, want);
		bad = 1;
	}
	r = len_exact(b, n + 16);
	if (r != want) {
		diag("line %d: %s: with filler: got %d, want %d", line, hex, r, want);
		bad = 1;
	}
	if (want > 0) {
		if ((size_t)want != n) {
			diag("line %d: %s: test case has %zu bytes, not %d", line, hex, n, want);
			bad = 1;
		}
		for (i = 0; i < (size_t)want && i < n; i++) {
			r = len_exact(b, i);
			if (r != -ENODATA) {
				diag("line %d: %s: first %zu bytes: got %d, want -ENODATA",
				     line, hex, i, r);
				bad = 1;
			}
		}
	}
	return bad;
}

#define INSN(hex, want) EXPECT_EQ(check_insn(hex, want, __LINE__), 0)

TEST(trap_sources)
{
	/* What the trap handlers skip: each exact. */
	INSN("0f 0b", 2);			/* ud2 (#UD) */
	INSN("0f b9 c0", 3);			/* ud1 eax, eax: has a ModRM */
	INSN("0f b9 04 24", 4);			/* ud1 eax, [rsp] */
	INSN("0f ff c0", 3);			/* ud0 eax, eax (Intel: ModRM) */
	INSN("cc", 1);				/* int3 */
	INSN("cd 03", 2);			/* int 3 */
	INSN("cd 80", 2);
	INSN("f1", 1);				/* int1 / icebp */
	INSN("0f 30", 2);			/* wrmsr */
	INSN("0f 32", 2);			/* rdmsr */
	INSN("0f 31", 2);			/* rdtsc */
	INSN("0f 01 f9", 3);			/* rdtscp */
	INSN("0f a2", 2);			/* cpuid */
	INSN("e4 80", 2);			/* in al, 0x80 */
	INSN("e5 71", 2);			/* in eax, 0x71 */
	INSN("66 e5 71", 3);			/* in ax, 0x71: imm8 regardless of 66 */
	INSN("e6 80", 2);			/* out 0x80, al */
	INSN("ec", 1);				/* in al, dx */
	INSN("66 ef", 2);			/* out dx, ax */
	INSN("6c", 1);				/* insb */
	INSN("f3 6f", 2);			/* rep outsd */
	INSN("fa", 1);				/* cli */
	INSN("fb", 1);				/* sti */
	INSN("f4", 1);				/* hlt */
	INSN("0f 01 c1", 3);			/* vmcall */
	INSN("0f 01 d0", 3);			/* xgetbv */
	INSN("0f 01 f8", 3);			/* swapgs */
	INSN("0f 05", 2);			/* syscall */
	INSN("0f 07", 2);			/* sysret */
	INSN("48 0f 07", 3);			/* sysretq */
	INSN("0f 34", 2);			/* sysenter */
	INSN("48 cf", 2);			/* iretq */
	INSN("0f 06", 2);			/* clts */
	INSN("0f 09", 2);			/* wbinvd */
	INSN("0f 01 38", 3);			/* invlpg [rax] */
	INSN("0f 00 d8", 3);			/* ltr ax */
	INSN("0f 01 15 00 00 00 00", 7);	/* lgdt [rip] */
	INSN("f7 f1", 2);			/* div ecx (#DE) */
	INSN("48 f7 f1", 3);			/* div rcx */
	INSN("48 f7 7c 24 08", 5);		/* idiv qword [rsp+8] */
	INSN("f6 f1", 2);			/* div cl */
	INSN("f7 35 44 33 22 11", 6);		/* div dword [rip+d]: no imm */
	INSN("0f 20 c0", 3);			/* mov rax, cr0 */
	INSN("0f 22 d8", 3);			/* mov cr3, rax */
	INSN("44 0f 20 c0", 4);			/* mov rax, cr8 */
	INSN("0f 21 f8", 3);			/* mov rax, dr7 */
}

TEST(legacy_prefixes_and_rex)
{
	INSN("90", 1);
	INSN("66 90", 2);			/* xchg ax, ax */
	INSN("f3 90", 2);			/* pause */
	INSN("41 90", 2);			/* xchg r8d, eax */
	INSN("f0 ff 00", 3);			/* lock inc dword [rax] */
	INSN("f0 48 0f b1 0a", 5);		/* lock cmpxchg [rdx], rcx */
	INSN("f3 48 a5", 3);			/* rep movsq */
	INSN("f2 ae", 2);			/* repne scasb */
	INSN("64 48 8b 04 25 28 00 00 00", 9);	/* mov rax, fs:0x28 */
	INSN("65 8b 04 25 00 00 00 00", 8);	/* mov eax, gs:0 */
	INSN("26 90", 2);			/* null ES/CS/SS/DS overrides */
	INSN("2e 90", 2);
	INSN("36 90", 2);
	INSN("3e ff e0", 3);			/* notrack jmp rax */
	INSN("66 2e 0f 1f 84 00 00 00 00 00", 10);	/* cs nopw 0(rax,rax) */
	INSN("66 66 66 2e 0f 1f 84 00 00 00 00 00", 12);
	INSN("f3 0f 1e fa", 4);			/* endbr64 */
	INSN("41 50", 2);			/* push r8 */
	INSN("48 89 e5", 3);			/* mov rbp, rsp */
	INSN("4c 8b 3d 00 00 00 00", 7);	/* mov r15, [rip] */
	/* REX then a legacy prefix: the REX is ignored, still consumed. */
	INSN("48 66 90", 3);
	/* Two REX: the last counts (it is REX.W here: movabs). */
	INSN("40 48 b8 88 77 66 55 44 33 22 11", 11);
	/* A REX.W that a later prefix cancels: b8 takes imm16 (66), not 64. */
	INSN("48 66 b8 34 12", 5);
	INSN("f2 f3 f2 f3 90", 5);
	INSN("f3 c3", 2);			/* repz ret */
	INSN("f2 e9 00 00 00 00", 6);		/* bnd jmp */
}

TEST(modrm_sib_displacement)
{
	INSN("8b 00", 2);			/* [rax] */
	INSN("8b 40 08", 3);			/* [rax+8] */
	INSN("8b 80 00 01 00 00", 6);		/* [rax+0x100] */
	INSN("8b c1", 2);			/* register */
	INSN("8b 05 00 00 00 00", 6);		/* [rip+disp32] */
	INSN("48 8b 05 00 00 00 00", 7);
	INSN("41 8b 45 00", 4);			/* [r13+0]: rm=101 mod=01 even with REX.B */
	INSN("41 8b 04 24", 4);			/* [r12]: SIB even with REX.B */
	INSN("8b 04 24", 3);			/* [rsp] */
	INSN("8b 44 24 08", 4);			/* [rsp+8] */
	INSN("8b 84 24 00 01 00 00", 7);	/* [rsp+0x100] */
	INSN("8b 04 25 00 10 00 00", 7);	/* [disp32]: SIB base=101, mod=00 */
	INSN("8b 04 8d 00 10 00 00", 7);	/* [rcx*4+disp32] */
	INSN("8b 44 8d 08", 4);			/* [rbp+rcx*4+8]: base=101 mod=01 */
	INSN("8b 84 8d 00 01 00 00", 7);	/* [rbp+rcx*4+disp32] */
	INSN("43 8b 04 ac", 4);			/* [r12+r13*4] */
	INSN("43 8b 44 25 00", 5);		/* [r13+r12] needs disp8 */
	/* 67: 32-bit addressing, the same shapes (EIP-relative too). */
	INSN("67 8b 05 00 00 00 00", 7);
	INSN("67 8b 04 24", 4);
	INSN("67 8b 44 24 08", 5);
	INSN("67 8b 04 25 00 10 00 00", 8);
	INSN("67 8b 00", 3);
	INSN("67 48 8d 04 85 00 00 00 00", 9);	/* lea rax, [eax*4+0] */
	/* mov to/from CR/DR: the mod field is ignored, never memory. */
	INSN("0f 20 00", 3);
	INSN("0f 22 05", 3);
	INSN("0f 23 44", 3);
	INSN("0f 21 84", 3);
	INSN("0f 20 04", 3);
}

TEST(immediates)
{
	/* iz: imm32, imm16 with 66, imm32 with REX.W (sign-extended). */
	INSN("05 78 56 34 12", 5);		/* add eax, imm32 */
	INSN("66 05 34 12", 4);			/* add ax, imm16 */
	INSN("48 05 78 56 34 12", 6);		/* add rax, imm32 */
	INSN("66 48 05 78 56 34 12", 7);	/* REX.W beats 66 */
	INSN("04 12", 2);
	INSN("a8 01", 2);			/* test al, 1 */
	INSN("a9 00 01 00 00", 5);		/* test eax, 0x100 */
	INSN("66 a9 00 01", 4);
	INSN("81 c4 00 01 00 00", 6);		/* add esp, 0x100 */
	INSN("66 81 c4 00 01", 5);
	INSN("83 c4 08", 3);			/* add esp, 8 */
	INSN("66 83 c4 08", 4);
	INSN("48 81 7c 24 08 00 01 00 00", 9);	/* cmp qword [rsp+8], imm32 */
	INSN("80 3d 00 00 00 00 01", 7);	/* cmp byte [rip], 1: disp then imm */
	INSN("c7 c0 01 00 00 00", 6);		/* mov eax, 1 */
	INSN("48 c7 c0 01 00 00 00", 7);
	INSN("66 c7 c0 01 00", 5);
	INSN("48 c7 84 24 00 01 00 00 01 00 00 00", 12);
	INSN("66 c7 05 00 00 00 00 01 00", 9);	/* mov word [rip], 1 */
	INSN("c6 05 00 00 00 00 01", 7);	/* mov byte [rip], 1 */
	INSN("69 c0 00 01 00 00", 6);		/* imul eax, eax, imm32 */
	INSN("66 69 c0 00 01", 5);
	INSN("6b c0 10", 3);			/* imul eax, eax, imm8 */
	INSN("c0 e0 04", 3);			/* shl al, 4 */
	INSN("48 c1 e0 04", 4);
	INSN("d1 e0", 2);			/* shl eax, 1 */
	INSN("d3 e0", 2);			/* shl eax, cl */
	/* B8+r: imm32, imm16 with 66, imm64 with REX.W (movabs). */
	INSN("b8 01 00 00 00", 5);
	INSN("66 b8 01 00", 4);
	INSN("48 b8 88 77 66 55 44 33 22 11", 10);
	INSN("49 bf 88 77 66 55 44 33 22 11", 10);	/* movabs r15 */
	INSN("66 48 b8 88 77 66 55 44 33 22 11", 11);	/* REX.W beats 66 */
	INSN("41 b8 01 00 00 00", 6);		/* REX.B only: imm32 */
	INSN("b0 01", 2);			/* mov al, 1 */
	INSN("41 b7 01", 3);			/* mov r15b, 1 */
	/* A0-A3 moffs: the address size (8, or 4 with 67), not 66/REX.W. */
	INSN("a0 88 77 66 55 44 33 22 11", 9);
	INSN("a1 88 77 66 55 44 33 22 11", 9);
	INSN("48 a1 88 77 66 55 44 33 22 11", 10);
	INSN("66 a3 88 77 66 55 44 33 22 11", 10);
	INSN("67 a0 44 33 22 11", 6);
	INSN("67 48 a3 44 33 22 11", 7);
	/* push: imm32, imm16 with 66 (pushw), imm8 for 6a. */
	INSN("68 00 01 00 00", 5);
	INSN("66 68 00 01", 4);
	INSN("6a 01", 2);
	INSN("66 6a 01", 3);
	/* Near branches: rel32 stays 4 bytes with 66 in 64-bit mode (Intel). */
	INSN("e8 00 00 00 00", 5);
	INSN("66 e8 00 00 00 00", 6);
	INSN("e9 00 00 00 00", 5);
	INSN("66 e9 00 00 00 00", 6);
	INSN("0f 84 00 00 00 00", 6);
	INSN("66 0f 84 00 00 00 00", 7);
	INSN("48 0f 8f 00 00 00 00", 7);
	INSN("eb fe", 2);
	INSN("66 eb fe", 3);
	INSN("74 00", 2);
	INSN("e3 00", 2);			/* jrcxz */
	INSN("67 e3 00", 3);			/* jecxz */
	INSN("e2 fe", 2);			/* loop */
	/* ret/enter: fixed sizes. */
	INSN("c3", 1);
	INSN("c2 08 00", 3);			/* ret 8 */
	INSN("66 c2 08 00", 4);
	INSN("ca 08 00", 3);			/* retf 8 */
	INSN("cb", 1);
	INSN("c8 10 00 01", 4);			/* enter 16, 1: iw + ib */
	INSN("66 c8 10 00 01", 5);
	INSN("c9", 1);				/* leave */
	/* F6/F7: /0 and /1 (test) have an immediate, /2-/7 do not. */
	INSN("f6 c0 01", 3);			/* test al, 1 */
	INSN("f6 c8 01", 3);			/* test al, 1 (/1 alias) */
	INSN("f6 d0", 2);			/* not al */
	INSN("f6 d8", 2);			/* neg al */
	INSN("f6 e0", 2);			/* mul al */
	INSN("f6 e8", 2);			/* imul al */
	INSN("f6 f0", 2);			/* div al */
	INSN("f6 f8", 2);			/* idiv al */
	INSN("f7 c0 00 01 00 00", 6);		/* test eax, imm32 */
	INSN("66 f7 c0 00 01", 5);		/* test ax, imm16 */
	INSN("48 f7 c0 00 01 00 00", 7);	/* test rax, imm32 */
	INSN("f7 05 00 00 00 00 00 01 00 00", 10);	/* test [rip], imm32 */
	INSN("f6 44 24 08 01", 5);		/* test byte [rsp+8], 1 */
	INSN("f7 d8", 2);			/* neg eax */
	INSN("48 f7 e1", 3);			/* mul rcx */
	/* RTM: xbegin rel32 (rel16 with 66), xabort ib. */
	INSN("c7 f8 00 00 00 00", 6);
	INSN("66 c7 f8 00 00", 5);
	INSN("c6 f8 ff", 3);
	INSN("0f 01 d5", 3);			/* xend */
	/* 0F map immediates. */
	INSN("0f ba e0 05", 4);			/* bt eax, 5 */
	INSN("48 0f ba 6c 24 08 3f", 7);	/* bts qword [rsp+8], 63 */
	INSN("0f a4 c0 05", 4);			/* shld eax, eax, 5 */
	INSN("0f ac c0 05", 4);			/* shrd */
	INSN("0f a5 c0", 3);			/* shld eax, eax, cl */
	INSN("0f c2 c1 00", 4);			/* cmpeqps */
	INSN("66 0f 70 c1 1b", 5);		/* pshufd */
	INSN("66 0f 73 d8 08", 5);		/* psrldq xmm0, 8 */
	INSN("0f c6 c1 44", 4);			/* shufps */
	INSN("66 0f c4 c0 01", 5);		/* pinsrw */
	INSN("66 0f c5 c0 01", 5);		/* pextrw */
	INSN("66 0f 3a 0f c1 08", 6);		/* palignr */
	INSN("66 0f 3a 16 c0 01", 6);		/* pextrd */
	INSN("66 48 0f 3a 16 44 24 08 01", 9);	/* pextrq [rsp+8], xmm0, 1 */
	INSN("66 0f 38 00 c1", 5);		/* pshufb: 0F38 has no imm */
	INSN("f2 0f 38 f1 c1", 5);		/* crc32 */
	INSN("0f 38 f0 07", 4);			/* movbe eax, [rdi] */
	/* SSE4a (AMD): 66/F2 0F 78 take two imm8; 0F 78 is vmread. */
	INSN("66 0f 78 c0 01 02", 6);		/* extrq */
	INSN("f2 0f 78 c1 01 02", 6);		/* insertq */
	INSN("0f 78 c0", 3);			/* vmread rax, rax */
	INSN("66 0f 79 c1", 4);			/* extrq xmm0, xmm1 */
	INSN("0f 79 c8", 3);			/* vmwrite */
}

TEST(x87_sse_system)
{
	INSN("d9 ee", 2);			/* fldz */
	INSN("dd 04 24", 3);			/* fld qword [rsp] */
	INSN("db 2d 00 00 00 00", 6);		/* fld tbyte [rip] */
	INSN("d9 c9", 2);			/* fxch */
	INSN("df e0", 2);			/* fnstsw ax */
	INSN("9b", 1);				/* fwait: an instruction, not a prefix */
	INSN("d9 7c 24 fe", 4);			/* fnstcw [rsp-2] */
	INSN("de c1", 2);			/* faddp */
	INSN("0f 10 c1", 3);			/* movups */
	INSN("66 0f 6f 06", 4);			/* movdqa xmm0, [rsi] */
	INSN("f3 0f 6f 44 24 10", 6);		/* movdqu */
	INSN("f2 48 0f 2a c0", 5);		/* cvtsi2sd xmm0, rax */
	INSN("66 44 0f d4 c1", 5);		/* paddq xmm8, xmm1 */
	INSN("0f 77", 2);			/* emms */
	INSN("0f ae f0", 3);			/* mfence */
	INSN("0f ae 5c 24 fc", 5);		/* stmxcsr */
	INSN("0f ae 00", 3);			/* fxsave [rax] */
	INSN("48 0f c7 0e", 4);			/* cmpxchg16b [rsi] */
	INSN("0f c7 f0", 3);			/* rdrand eax */
	INSN("f3 0f b8 c0", 4);			/* popcnt */
	INSN("f3 48 0f bc c0", 5);		/* tzcnt */
	INSN("0f 18 08", 3);			/* prefetcht0 [rax] */
	INSN("0f 0d 08", 3);			/* prefetchw [rax] */
	INSN("0f 1f 44 00 00", 5);		/* nopl */
	INSN("0f c8", 2);			/* bswap eax */
	INSN("49 0f cf", 3);			/* bswap r15 */
	INSN("0f a0", 2);			/* push fs */
	INSN("0f a9", 2);			/* pop gs */
	INSN("0f 44 c1", 3);			/* cmove */
	INSN("0f 94 c0", 3);			/* sete */
	INSN("0f b6 c0", 3);			/* movzx */
	INSN("48 63 c7", 3);			/* movsxd */
	INSN("8f 00", 2);			/* pop [rax] */
	INSN("8f c0", 2);			/* pop rax (ModRM form) */
	INSN("ff 15 00 00 00 00", 6);		/* call [rip] */
	INSN("ff d0", 2);			/* call rax */
	INSN("ff 1c 24", 3);			/* call far [rsp] */
	INSN("48 ff 2c 24", 4);			/* jmp far [rsp] */
	INSN("fe c0", 2);			/* inc al */
	INSN("fe 08", 2);			/* dec byte [rax] */
	/* PadLock (VIA/Zhaoxin, which have VMX): 0F A6/A7 with a ModRM. */
	INSN("f3 0f a6 c0", 4);			/* montmul */
	INSN("0f a7 c0", 3);			/* xstore */
	INSN("f3 0f a7 c8", 4);			/* xcryptecb */
	/* objdump shows "9b d9 38" as one fstcw; the CPU runs wait, then
	 * fnstcw: the length is 1. */
	EXPECT_EQ(len_exact((const uint8_t *)"\x9b\xd9\x38", 3), 1);
	EXPECT_EQ(len_exact((const uint8_t *)"\x66\x9b\xd9\x38", 4), 2);
}

TEST(vex_evex)
{
	INSN("c5 f8 77", 3);			/* vzeroupper: no ModRM */
	INSN("c5 fc 77", 3);			/* vzeroall */
	INSN("c4 e1 78 77", 4);			/* vzeroupper, 3-byte VEX */
	INSN("c5 f9 6f 06", 4);			/* vmovdqa xmm0, [rsi] */
	INSN("c5 fd 6f 44 24 20", 6);		/* vmovdqa ymm0, [rsp+32] */
	INSN("c5 fe 6f 05 00 00 00 00", 8);	/* vmovdqu ymm0, [rip] */
	INSN("c5 f9 70 c0 1b", 5);		/* vpshufd: 0F map imm8 */
	INSN("c5 f1 73 d8 08", 5);		/* vpsrldq */
	INSN("c5 f8 c2 c1 00", 5);		/* vcmpeqps */
	INSN("c4 e2 79 00 c1", 5);		/* vpshufb: 0F38 map */
	INSN("c4 e2 7d 58 44 24 08", 7);	/* vpbroadcastd ymm0, [rsp+8] */
	INSN("c4 e3 79 0f c1 08", 6);		/* vpalignr: 0F3A map, imm8 */
	INSN("c4 e3 7d 38 c1 01", 6);		/* vinserti128 */
	INSN("c4 e3 fd 00 c0 4e", 6);		/* vpermq */
	INSN("c4 c1 79 6f 07", 5);		/* vmovdqa xmm0, [r15] */
	INSN("c4 e2 f9 f7 c1", 5);		/* shlx: GPR instruction in VEX */
	INSN("c4 e3 fb f0 c1 05", 6);		/* rorx */
	INSN("c4 e2 78 f2 c1", 5);		/* andn */
	INSN("c4 e2 78 49 c0", 5);		/* tilerelease */
	INSN("c5 f8 93 c1", 4);			/* kmovw eax, k1 */
	INSN("67 c5 f9 6f 04 24", 6);		/* 67 is allowed before VEX */
	INSN("2e c5 f8 77", 4);			/* and segment overrides */
	/* EVEX: 4-byte prefix, always a ModRM; disp8 is one byte (N scaling). */
	INSN("62 f1 7c 48 10 06", 6);		/* vmovups zmm0, [rsi] */
	INSN("62 f1 7d 48 6f 46 01", 7);	/* vmovdqa32 zmm0, [rsi+0x40] */
	INSN("62 f1 fe 48 6f 84 24 00 01 00 00", 11);	/* vmovdqu64 zmm0, [rsp+0x100] */
	INSN("62 f1 7d 48 72 e0 05", 7);	/* vpsrad zmm0, zmm0, 5: map 1 imm8 */
	INSN("62 f3 7d 48 1f c1 00", 7);	/* vpcmpd k0, zmm0, zmm1, 0: map 3 */
	INSN("62 f2 7d 48 64 c1", 6);		/* vpblendmd: map 2 */
	INSN("62 b1 7c 48 10 04 08", 7);	/* vmovups zmm0, [rax+r9] */
	INSN("62 f5 7c 48 58 c1", 6);		/* vaddph: map 5 (FP16) */
	INSN("62 f6 7d 48 2c c1", 6);		/* vscalefph: map 6 */
	INSN("67 62 f1 7c 48 10 00", 7);
	/* Refused: prefixes before VEX/EVEX, reserved maps and bits. */
	INSN("66 c5 f8 77", -EINVAL);
	INSN("f3 c5 f8 77", -EINVAL);
	INSN("f2 c4 e2 79 00 c1", -EINVAL);
	INSN("f0 c5 f9 6f 06", -EINVAL);
	INSN("48 c5 f8 77", -EINVAL);
	INSN("40 62 f1 7c 48 10 06", -EINVAL);
	INSN("c4 e0 78 77", -EINVAL);		/* VEX map 0 */
	INSN("c4 e4 78 77", -EINVAL);		/* VEX map 4 */
	INSN("c4 ff 78 77", -EINVAL);
	INSN("62 f0 7c 48 10 06", -EINVAL);	/* EVEX map 0 */
	INSN("62 f4 7c 48 10 06", -EINVAL);	/* map 4: APX */
	INSN("62 f7 7c 48 10 06", -EINVAL);	/* map 7 */
	INSN("c4 e7 7b f8 c0 78 56 34 12", -EINVAL);	/* map 7: urdmsr imm32 */
	/* Bits reserved before APX/AVX10.2 (B4, U) do not change the length. */
	INSN("62 f9 7c 48 10 06", 6);		/* P0 bit 3 set */
	INSN("62 f1 78 48 10 06", 6);		/* P1 bit 2 clear */
}

TEST(invalid_in_64bit_mode)
{
	static const char *const bad[] = {
		"06", "07", "0e", "16", "17", "1e", "1f",	/* push/pop seg */
		"27", "2f", "37", "3f",				/* daa das aaa aas */
		"60", "61",					/* pusha popa */
		"82 c0 01",					/* alias of 80 */
		"9a 00 00 00 00 00 00",				/* call far ptr */
		"ce", "d4 0a", "d5 0a", "d6",			/* into aam aad salc */
		"ea 00 00 00 00 00 00",				/* jmp far ptr */
		"48 06", "66 27", "f3 60",			/* behind prefixes */
		"0f 04", "0f 0a", "0f 0c",			/* unassigned 0F */
		"0f 0e", "0f 0f c1 b4",				/* 3DNow! (AMD) */
		"0f 24 c0", "0f 26 c0", "0f 36", "0f 39",
		"0f 3b", "0f 3c", "0f 3d", "0f 3e", "0f 3f",
		"0f 7a c0", "0f 7b c0",
		"fe d0", "fe 10", "fe f8",			/* FE /2-/7 */
		"ff f8", "ff 3c 24",				/* FF /7 */
		"c6 c8 01", "c6 48 00 01", "c7 c8 00 00 00 00",	/* C6/C7 /1-/6 */
		"c6 f9 00", "c7 f9 00 00 00 00",		/* /7 other than F8 */
		"c7 38 00 00 00 00",
		"8f c8", "8f e8 78 c2 c1 00",			/* 8F /1-7: XOP */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(check_insn(bad[i], -EINVAL, __LINE__), 0);
}

TEST(length_limit_and_truncation)
{
	uint8_t b[32];
	int i;

	/* 14 prefixes + nop = 15 bytes: valid; one more prefix: #GP. */
	memset(b, 0x66, sizeof(b));
	b[14] = 0x90;
	EXPECT_EQ(len_exact(b, 15), 15);
	EXPECT_EQ(len_exact(b, 14), -ENODATA);
	memset(b, 0x66, sizeof(b));
	b[15] = 0x90;
	EXPECT_EQ(len_exact(b, 16), -EINVAL);
	/* Prefixes only, more than 15: too long, whatever follows. */
	EXPECT_EQ(len_exact(b, 15), -EINVAL);
	EXPECT_EQ(len_exact(b, 32), -EINVAL);
	/* Fewer than 15 prefixes then the end of the buffer: truncated. */
	EXPECT_EQ(len_exact(b, 10), -ENODATA);

	/* 4 prefixes + a 12-byte mov = 16: refused as soon as the length is
	 * known, even when the buffer holds only part of it. */
	parse_hex("66 66 66 66 48 c7 84 24 00 01 00 00 01 00 00 00", b, 32);
	EXPECT_EQ(len_exact(b, 16), -EINVAL);
	EXPECT_EQ(len_exact(b, 9), -EINVAL);
	/* ... but not before (the SIB byte decides the displacement). */
	EXPECT_EQ(len_exact(b, 7), -ENODATA);
	/* 3 prefixes: exactly 15. */
	EXPECT_EQ(len_exact(b + 1, 15), 15);

	/* 66 48 b8 imm64 with 4 more prefixes: 15 exactly. */
	parse_hex("2e 3e 26 36 66 48 b8 88 77 66 55 44 33 22 11", b, 32);
	EXPECT_EQ(len_exact(b, 15), 15);

	EXPECT_EQ(dune_insn_len(NULL, 0), -ENODATA);
	EXPECT_EQ(len_exact(b, 0), -ENODATA);

	/* Every truncation of some long instructions. */
	for (i = 0; i < 5; i++) {
		static const char *const longs[] = {
			"48 c7 84 24 00 01 00 00 01 00 00 00",
			"64 48 8b 04 25 28 00 00 00",
			"62 f1 fe 48 6f 84 24 00 01 00 00",
			"c4 e3 7d 38 84 24 00 01 00 00 01",
			"66 48 0f 3a 16 84 24 00 01 00 00 01",
		};
		size_t n = parse_hex(longs[i], b, 32), k;

		EXPECT_EQ(len_exact(b, n), (int)n);
		for (k = 0; k < n; k++)
			EXPECT_EQ(len_exact(b, k), -ENODATA);
	}
}

/* Reproducible pseudo-random inputs (test/harness.h). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	return harness_rand64(&rng_state);
}

/*
 * Random bytes (biased to prefixes and escapes, where the rules are): the
 * result is always -EINVAL, -ENODATA or 1..15, it never reads past @len
 * (ASan), and it is consistent across buffer sizes: bytes past the 15th
 * change nothing; a length n means n for every len >= n and -ENODATA
 * below; -EINVAL means -EINVAL or -ENODATA (not enough bytes yet to see
 * the fault) for every shorter buffer, never a length.
 */
TEST(random_bytes_consistent)
{
	static const uint8_t hot[] = {
		0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x48, 0x41, 0x0f, 0x0f,
		0x38, 0x3a, 0xc4, 0xc5, 0x62, 0xf6, 0xf7, 0xb8, 0xa1, 0xc8, 0xe8,
		0x8f, 0xc7, 0x04, 0x05, 0x44, 0x84, 0x24, 0x25,
	};
	uint8_t b[20];
	int iter, n, r, k;

	for (iter = 0; iter < 200000; iter++) {
		for (k = 0; k < 20; k++) {
			uint64_t x = rng();

			b[k] = (x & 3) ? (uint8_t)(x >> 8) : hot[(x >> 8) % sizeof(hot)];
		}
		n = len_exact(b, 15);
		ASSERT_EQ(len_exact(b, 20), n);
		if (n == -EINVAL) {
			/* Shorter buffers: -EINVAL or -ENODATA only. */
			for (k = 0; k < 15; k++) {
				r = len_exact(b, (size_t)k);
				ASSERT_TRUE(r == -EINVAL || r == -ENODATA);
			}
			continue;
		}
		ASSERT_TRUE(n >= 1 && n <= 15);
		for (k = 0; k < 15; k++) {
			r = len_exact(b, (size_t)k);
			if (k < n)
				ASSERT_EQ(r, -ENODATA);
			else
				ASSERT_EQ(r, n);
		}
	}
}

/* ---- the corpus check against objdump --------------------------------- */

/*
 * objdump prints prefixes on a line of their own when it does not attach
 * them to what follows (a REX before a legacy prefix, which the CPU
 * ignores but still consumes); such a line is not an instruction.  True
 * when every word of @text names a prefix ("rex.WB", "data16 rex.R", "fs").
 */
static int is_lone_prefix(const char *text)
{
	static const char *const names[] = {
		"rex", "data16", "data32", "addr32", "addr16", "lock", "rep",
		"repz", "repnz", "repe", "repne", "cs", "ds", "es", "ss", "fs", "gs",
		"bnd", "notrack", "xacquire", "xrelease",
	};
	size_t i, n, w;
	int words = 0;

	for (;;) {
		text += strspn(text, " ");
		if (*text == '\0' || *text == '\n')
			return words > 0;
		w = strcspn(text, " \n");
		n = strcspn(text, ". \n");	/* "rex.WB" -> "rex" */
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && !strncmp(text, names[i], n))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return 0;
		words++;
		text += w;
	}
}

static int is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return 1;
	}
	return 0;
}

struct corpus_stats {
	long lines, checked, bad_skipped, prefix_skipped, mismatches;
};

static int corpus_printed;	/* mismatches shown, over all files: 20 at most */

/*
 * One instruction of @n bytes as objdump sees it: its bytes alone give @n,
 * the bytes followed by filler too, and one byte less gives -ENODATA.
 * objdump folds a wait (9b) into the x87 instruction after it ("9b d9 38
 * fstcw"); the CPU runs two instructions, so those are checked as two.
 */
static int check_line(uint8_t *b, size_t n, int res[3])
{
	size_t k = 0;

	while (k < n && is_legacy_prefix(b[k]))
		k++;
	if (k + 1 < n && b[k] == 0x9b) {
		if (check_line(b, k + 1, res))
			return -1;
		return check_line(b + k + 1, n - k - 1, res);
	}
	memset(b + n, 0xff, 16);
	res[0] = len_exact(b, n);
	res[1] = len_exact(b, n + 16);
	res[2] = len_exact(b, n - 1);
	return res[0] == (int)n && res[1] == (int)n && res[2] == -ENODATA ? 0 : -1;
}

/*
 * Run objdump on @path and check every instruction it decodes.  The bytes
 * are objdump's own (with --insn-width=16 it prints all of an instruction
 * on its line), so no ELF parsing is needed to find them in the file.
 */
static int corpus_check(const char *path, struct corpus_stats *st)
{
	char cmd[4200], line[1024];
	FILE *f;
	int status;

	if (access(path, R_OK)) {
		diag("corpus: %s: %s", path, strerror(errno));
		return -1;
	}
	/* -M intel64: the Intel reading of 66 before near branches. */
	snprintf(cmd, sizeof(cmd),
		 "objdump -d --insn-width=16 -M intel64 '%s' 2>&1", path);
	f = popen(cmd, "r");
	if (!f) {
		diag("corpus: popen(objdump): %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		uint8_t b[48];
		unsigned long addr;
		char *p, *text;
		size_t n = 0;
		int res[3], consumed = -1;

		/* "   1c2a0:\tf3 0f 1e fa          \tendbr64" */
		if (sscanf(line, " %lx:%n", &addr, &consumed) != 1 || consumed < 0 ||
		    line[consumed] != '\t')
			continue;
		p = line + consumed + 1;
		text = strchr(p, '\t');
		if (!text)
			continue;	/* no mnemonic: not an instruction line */
		*text++ = '\0';
		text[strcspn(text, "\n")] = '\0';
		while (*p) {
			unsigned int v;

			while (*p == ' ')
				p++;
			if (!*p)
				break;
			if (n >= 16 || sscanf(p, "%2x", &v) != 1) {
				n = 0;
				break;
			}
			b[n++] = (uint8_t)v;
			p += 2;
		}
		if (!n)
			continue;
		st->lines++;
		if (strstr(text, "(bad)")) {
			st->bad_skipped++;
			continue;
		}
		if (is_lone_prefix(text)) {
			st->prefix_skipped++;
			continue;
		}
		st->checked++;
		if (!check_line(b, n, res))
			continue;
		st->mismatches++;
		if (corpus_printed++ < 20) {
			char hex[64] = "";
			size_t i;

			for (i = 0; i < n; i++)
				snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", b[i]);
			/* res: exact buffer / with filler / one byte short */
			diag("mismatch %s+0x%lx: %s(objdump %zu: %s): got %d / %d / %d",
			     path, addr, hex, n, text, res[0], res[1], res[2]);
		}
	}
	status = pclose(f);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		diag("corpus: objdump on %s failed (status 0x%x); is binutils installed?",
		     path, status);
		return -1;
	}
	return 0;
}

/*
 * Not a skip when objdump is missing: without it nothing is checked, and
 * the count check fails the test.
 */
TEST_TIMEOUT_S(objdump_corpus, 120)
{
	/* The test program itself last: "/proc/self/exe" would name objdump. */
	static char self[4096];
	const char *files[] = {
		"/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/bin/ls",
		self,
	};
	struct corpus_stats st = { 0 };
	ssize_t sn;
	size_t i;

	sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(sn, 0);
	self[sn] = '\0';
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct corpus_stats one = { 0 };

		EXPECT_EQ(corpus_check(files[i], &one), 0);
		diag("%s: %ld lines, %ld checked, %ld (bad), %ld lone prefixes, %ld mismatches",
		     files[i], one.lines, one.checked, one.bad_skipped, one.prefix_skipped,
		     one.mismatches);
		st.lines += one.lines;
		st.checked += one.checked;
		st.mismatches += one.mismatches;
	}
	EXPECT_GE(st.checked, 100000);
	EXPECT_EQ(st.mismatches, 0);
}

TEST_MAIN()
