// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_priv - execute one privileged (or VMX, or system-entry) instruction
 * from the sandboxed program, which runs in ring 3 of a Dune process.
 *
 *   attack_priv INSN
 *
 * Prints "attack_priv INSN: trying at 0xADDR" (ADDR: the instruction's own
 * address, which the sandbox's violation report should name), then executes
 * it.  If the instruction completes, prints "ESCAPED: ..." and exits 0.
 * Natively (ring 3 of an ordinary process) every one of them faults
 * (SIGSEGV, or SIGILL for the VMX instructions and sysenter on AMD).
 *
 * Not attacks but checks that ring 3 is really ring 3 (exit 0, same output
 * natively and sandboxed): popf-if (POPF cannot clear IF), popf-iopl (POPF
 * cannot raise IOPL), cpl (the CPL in %cs is 3), cpuid, rdtsc.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where the instruction is: a label just before it, exported from the asm. */
#define AT(name) ".globl insn_" #name "\ninsn_" #name ":\n\t"
#define DECL(name) extern const char insn_##name[]

DECL(cli); DECL(sti); DECL(hlt); DECL(lgdt); DECL(lidt); DECL(lldt); DECL(ltr);
DECL(wrmsr); DECL(rdmsr); DECL(movcr3); DECL(readcr3); DECL(movcr0); DECL(movcr4);
DECL(movdr7); DECL(invlpg); DECL(wbinvd); DECL(invd); DECL(clts); DECL(in);
DECL(out); DECL(int80); DECL(sysenter); DECL(swapgs); DECL(iret0); DECL(lret0);
DECL(movss0); DECL(vmcall); DECL(vmread); DECL(vmwrite); DECL(vmxon);
DECL(vmlaunch); DECL(vmptrld); DECL(invept); DECL(xsetbv); DECL(vmfunc);

static void trying(const char *what, const void *at)
{
	printf("attack_priv %s: trying at 0x%lx\n", what, (unsigned long)at);
	fflush(stdout);
}

static void escaped(const char *what, unsigned long v)
{
	printf("ESCAPED: %s completed in the sandboxed program (value 0x%lx)\n", what, v);
	fflush(stdout);
	exit(0);
}

static unsigned long rflags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static const char escape_dir[] = "/tmp/sandbox_escape_dir";

int main(int argc, char **argv)
{
	static uint8_t table[10] __attribute__((aligned(16)));
	static uint8_t vmregion[4096] __attribute__((aligned(4096)));
	static uint64_t desc[2];
	unsigned long v = 0;
	const char *w;

	if (argc != 2) {
		fprintf(stderr, "usage: attack_priv INSN\n");
		return 2;
	}
	w = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

#define TRY(name, ...)                                                               \
	if (!strcmp(w, #name)) {                                                    \
		trying(#name, insn_##name);                                         \
		__asm__ volatile(AT(name) __VA_ARGS__);                             \
		escaped(#name, v);                                                  \
	}
/* The same, where the faulting instruction is not the first: asmtext puts
 * AT(name) before it itself. */
#define TRYX(name, ...)                                                              \
	if (!strcmp(w, #name)) {                                                    \
		trying(#name, insn_##name);                                         \
		__asm__ volatile(__VA_ARGS__);                                      \
		escaped(#name, v);                                                  \
	}

	TRY(cli, "cli" ::: "memory")
	TRY(sti, "sti" ::: "memory")
	TRY(hlt, "hlt" ::: "memory")
	TRY(lgdt, "lgdt %0" :: "m"(table) : "memory")
	TRY(lidt, "lidt %0" :: "m"(table) : "memory")
	TRY(lldt, "lldt %w0" :: "r"(0) : "memory")
	TRY(ltr, "ltr %w0" :: "r"(0x40) : "memory")
	/* IA32_TSC_AUX: harmless if it ever went through. */
	TRY(wrmsr, "wrmsr" :: "c"(0xc0000103), "a"(0x5a), "d"(0) : "memory")
	TRY(rdmsr, "rdmsr" : "=a"(v) : "c"(0xc0000080) : "rdx", "memory")
	TRY(movcr3, "mov %0, %%cr3" :: "r"(0UL) : "memory")
	TRY(readcr3, "mov %%cr3, %0" : "=r"(v) :: "memory")
	TRY(movcr0, "mov %0, %%cr0" :: "r"(0x80050033UL) : "memory")
	TRY(movcr4, "mov %0, %%cr4" :: "r"(0x3606f0UL) : "memory")
	TRY(movdr7, "mov %0, %%dr7" :: "r"(0UL) : "memory")
	TRY(invlpg, "invlpg %0" :: "m"(table) : "memory")
	TRY(wbinvd, "wbinvd" ::: "memory")
	TRY(invd, "invd" ::: "memory")
	TRY(clts, "clts" ::: "memory")
	/* Port 0x80 (POST codes): harmless if it ever went through. */
	TRY(in, "inb $0x80, %%al" : "=a"(v) :: "memory")
	TRY(out, "outb %%al, $0x80" :: "a"(0) : "memory")
	/* The i386 system-call gate: mkdir(escape_dir) with the 32-bit ABI
	 * (nr 39), which the policy forbids (only the working directory is
	 * writable): it must not bypass the sandbox's checks. */
	TRY(int80, "int $0x80" : "=a"(v) : "a"(39), "b"(escape_dir), "c"(0755) : "memory")
	TRY(sysenter, "sysenter" ::: "rcx", "r11", "memory")
	TRY(swapgs, "swapgs" ::: "memory")
	/* Return to ring 0 (selector 0x08, RPL 0) with IRETQ / LRETQ. */
	TRYX(iret0, "movq %%rsp, %%rdx\n\tpushq $0x10\n\tpushq %%rdx\n\tpushfq\n\t"
		    "pushq $0x08\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\t"
		    AT(iret0) "iretq\n1:\n\tmovq %%rdx, %%rsp"
		    ::: "rax", "rdx", "memory")
	TRYX(lret0, "movq %%rsp, %%rdx\n\tpushq $0x08\n\tleaq 1f(%%rip), %%rax\n\t"
		    "pushq %%rax\n\t" AT(lret0) "lretq\n1:\n\tmovq %%rdx, %%rsp"
		    ::: "rax", "rdx", "memory")
	TRYX(movss0, "mov $0x10, %%eax\n\t" AT(movss0) "mov %%ax, %%ss" ::: "rax", "memory")
	/* VMCALL is Dune's system-call gate for ring 0: from ring 3 it must not
	 * run mkdir(escape_dir) unchecked. */
	TRY(vmcall, "vmcall" : "=a"(v) : "a"((long)SYS_mkdir), "D"(escape_dir), "S"(0755)
		    : "memory")
	TRY(vmread, "vmread %1, %0" : "=r"(v) : "r"(0x6800UL) : "cc", "memory")	/* GUEST_CR0 */
	TRY(vmwrite, "vmwrite %0, %1" :: "r"(0UL), "r"(0x681eUL) : "cc", "memory")	/* GUEST_RIP */
	TRY(vmxon, "vmxon %0" :: "m"(vmregion) : "cc", "memory")
	TRY(vmlaunch, "vmlaunch" ::: "cc", "memory")
	TRY(vmptrld, "vmptrld %0" :: "m"(vmregion) : "cc", "memory")
	TRY(invept, "invept %0, %1" :: "m"(desc), "r"(2UL) : "cc", "memory")
	/* XCR0 written back with its own value: harmless if it went through. */
	if (!strcmp(w, "xsetbv")) {
		unsigned int lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		trying("xsetbv", insn_xsetbv);
		__asm__ volatile(AT(xsetbv) "xsetbv" :: "a"(lo), "d"(hi), "c"(0) : "memory");
		escaped("xsetbv", lo);
	}
	TRY(vmfunc, "vmfunc" :: "a"(0), "c"(0) : "memory")

	/* ---- checks, not attacks: exit 0 and the same output natively ---- */
	if (!strcmp(w, "popf-if")) {
		unsigned long f = rflags(), g;

		__asm__ volatile("pushq %0; popfq" :: "r"(f & ~0x200UL) : "cc", "memory");
		g = rflags();
		__asm__ volatile("pushq %0; popfq" :: "r"(f) : "cc", "memory");
		if (!(g & 0x200)) {
			puts("ESCAPED: POPF cleared IF in the sandboxed program");
			return 0;
		}
		printf("popf-if: IF before %lu, after popf without IF %lu\n", (f >> 9) & 1, (g >> 9) & 1);
		return 0;
	}
	if (!strcmp(w, "popf-iopl")) {
		unsigned long g;

		__asm__ volatile("pushq %0; popfq" :: "r"(rflags() | 0x3000UL) : "cc", "memory");
		g = rflags();
		printf("popf-iopl: IOPL after popf with IOPL 3: %lu\n", (g >> 12) & 3);
		if (g & 0x3000)
			puts("ESCAPED: POPF raised IOPL in the sandboxed program");
		return 0;
	}
	if (!strcmp(w, "cpl")) {
		unsigned short cs, ss;

		__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
		printf("cpl: CS.RPL %d, SS.RPL %d\n", cs & 3, ss & 3);
		if ((cs & 3) != 3 || (ss & 3) != 3)
			puts("ESCAPED: the sandboxed program does not run in ring 3");
		return 0;
	}
	if (!strcmp(w, "cpuid")) {
		unsigned int a, b, c, d;
		char vendor[13];

		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &d, 4);
		memcpy(vendor + 8, &c, 4);
		vendor[12] = 0;
		printf("cpuid: vendor %s\n", vendor);
		return 0;
	}
	if (!strcmp(w, "rdtsc")) {
		unsigned int lo1, hi1, lo2, hi2;
		uint64_t t1, t2;

		__asm__ volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
		__asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
		t1 = (uint64_t)hi1 << 32 | lo1;
		t2 = (uint64_t)hi2 << 32 | lo2;
		printf("rdtsc: %s\n", t2 >= t1 ? "monotonic" : "went backwards");
		return 0;
	}
	fprintf(stderr, "attack_priv: unknown instruction '%s'\n", w);
	return 2;
}
