// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * arch.c - what each architecture's module loader accepts in a klp
 * relocation section, and which sections the livepatch module's own load
 * consumes.
 *
 * Facts read from Debian's linux-source-6.1 (6.1.192-2):
 *   types, zero check:  apply_relocate_add() and its helpers in
 *	arch/x86/kernel/module.c, arch/arm64/kernel/module.c,
 *	arch/powerpc/kernel/module_64.c, arch/s390/kernel/module.c (apply_rela),
 *	arch/riscv/kernel/module.c (reloc_handlers_rela[]).
 *	"supported" = the switch/table has a case that does not fail; a type
 *	listed as unsupported (or absent) fails the whole module load.
 *	Only x86_64 checks that the bytes at the location are zero.
 *   special sections:   kernel/module/main.c (find_module_sections,
 *	post_relocation, layout_and_allocate, setup_load_info), the module
 *	notifiers those sections feed, lib/bug.c (module_bug_finalize), and each
 *	arch's module_finalize()/module_frob_arch_sections().
 * Later kernels are noted where known (x86 6.2+ names are in the x86 list).
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"

/* Types newer than Debian 12's <elf.h> (values from the psABIs). */
#ifndef R_X86_64_CODE_4_GOTPCRELX
#define R_X86_64_CODE_4_GOTPCRELX	43
#endif
#ifndef R_X86_64_CODE_4_GOTTPOFF
#define R_X86_64_CODE_4_GOTTPOFF	44
#endif
#ifndef R_X86_64_CODE_4_GOTPC32_TLSDESC
#define R_X86_64_CODE_4_GOTPC32_TLSDESC	45
#endif
#ifndef R_AARCH64_PLT32
#define R_AARCH64_PLT32			314
#endif
#ifndef R_AARCH64_GOTPCREL32
#define R_AARCH64_GOTPCREL32		315
#endif
#ifndef R_PPC64_REL24_NOTOC
#define R_PPC64_REL24_NOTOC		116
#endif
#ifndef R_PPC64_ENTRY
#define R_PPC64_ENTRY			118
#endif
#ifndef R_PPC64_PCREL_OPT
#define R_PPC64_PCREL_OPT		123
#endif
#ifndef R_PPC64_PCREL34
#define R_PPC64_PCREL34			132
#endif
#ifndef R_PPC64_GOT_PCREL34
#define R_PPC64_GOT_PCREL34		133
#endif
#ifndef R_390_PC12DBL
#define R_390_PC12DBL			62
#endif
#ifndef R_390_PLT12DBL
#define R_390_PLT12DBL			63
#endif
#ifndef R_390_PC24DBL
#define R_390_PC24DBL			64
#endif
#ifndef R_390_PLT24DBL
#define R_390_PLT24DBL			65
#endif
#ifndef R_RISCV_PLT32
#define R_RISCV_PLT32			59
#endif
#ifndef R_RISCV_SET_ULEB128
#define R_RISCV_SET_ULEB128		60
#endif
#ifndef R_RISCV_SUB_ULEB128
#define R_RISCV_SUB_ULEB128		61
#endif

/* The name is the macro's spelling (# does not expand its operand). */
#define Y(t, w)	{ (t), #t, true, (w), NULL }
#define N(t, w)	{ (t), #t, false, (w), NULL }
/* Unsupported, and refused otherwise than the default case does. */
#define R(t, w, how)	{ (t), #t, false, (w), (how) }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct klp_reloc_type x86_64_types[] = {
	Y(R_X86_64_NONE, 0),
	Y(R_X86_64_64, 8),
	Y(R_X86_64_PC32, 4),
	N(R_X86_64_GOT32, 4),
	Y(R_X86_64_PLT32, 4),
	N(R_X86_64_COPY, 0),
	N(R_X86_64_GLOB_DAT, 8),
	N(R_X86_64_JUMP_SLOT, 8),
	N(R_X86_64_RELATIVE, 8),
	N(R_X86_64_GOTPCREL, 4),
	Y(R_X86_64_32, 4),		/* overflow-checked */
	Y(R_X86_64_32S, 4),		/* overflow-checked */
	N(R_X86_64_16, 2),
	N(R_X86_64_PC16, 2),
	N(R_X86_64_8, 1),
	N(R_X86_64_PC8, 1),
	N(R_X86_64_DTPMOD64, 8),
	N(R_X86_64_DTPOFF64, 8),
	N(R_X86_64_TPOFF64, 8),
	N(R_X86_64_TLSGD, 4),
	N(R_X86_64_TLSLD, 4),
	N(R_X86_64_DTPOFF32, 4),
	N(R_X86_64_GOTTPOFF, 4),
	N(R_X86_64_TPOFF32, 4),
	Y(R_X86_64_PC64, 8),
	N(R_X86_64_GOTOFF64, 8),
	N(R_X86_64_GOTPC32, 4),
	N(R_X86_64_GOT64, 8),
	N(R_X86_64_GOTPCREL64, 8),
	N(R_X86_64_GOTPC64, 8),
	N(R_X86_64_GOTPLT64, 8),
	N(R_X86_64_PLTOFF64, 8),
	N(R_X86_64_SIZE32, 4),
	N(R_X86_64_SIZE64, 8),
	N(R_X86_64_GOTPC32_TLSDESC, 4),
	N(R_X86_64_TLSDESC_CALL, 0),
	N(R_X86_64_TLSDESC, 16),
	N(R_X86_64_IRELATIVE, 8),
	N(R_X86_64_RELATIVE64, 8),
	N(R_X86_64_GOTPCRELX, 4),
	N(R_X86_64_REX_GOTPCRELX, 4),
	N(R_X86_64_CODE_4_GOTPCRELX, 4),
	N(R_X86_64_CODE_4_GOTTPOFF, 4),
	N(R_X86_64_CODE_4_GOTPC32_TLSDESC, 4),
};

/* Instruction relocations patch a field of one 4-byte instruction. */
static const struct klp_reloc_type aarch64_types[] = {
	Y(R_AARCH64_NONE, 0),		/* 0; the kernel spells it R_ARM_NONE */
	{ 256, "R_AARCH64_NONE", true, 0, NULL },	/* the kernel's R_AARCH64_NONE */
	Y(R_AARCH64_ABS64, 8),
	Y(R_AARCH64_ABS32, 4),
	Y(R_AARCH64_ABS16, 2),
	Y(R_AARCH64_PREL64, 8),
	Y(R_AARCH64_PREL32, 4),
	Y(R_AARCH64_PREL16, 2),
	Y(R_AARCH64_MOVW_UABS_G0, 4),
	Y(R_AARCH64_MOVW_UABS_G0_NC, 4),
	Y(R_AARCH64_MOVW_UABS_G1, 4),
	Y(R_AARCH64_MOVW_UABS_G1_NC, 4),
	Y(R_AARCH64_MOVW_UABS_G2, 4),
	Y(R_AARCH64_MOVW_UABS_G2_NC, 4),
	Y(R_AARCH64_MOVW_UABS_G3, 4),
	Y(R_AARCH64_MOVW_SABS_G0, 4),
	Y(R_AARCH64_MOVW_SABS_G1, 4),
	Y(R_AARCH64_MOVW_SABS_G2, 4),
	Y(R_AARCH64_LD_PREL_LO19, 4),
	Y(R_AARCH64_ADR_PREL_LO21, 4),
	Y(R_AARCH64_ADR_PREL_PG_HI21, 4),
	Y(R_AARCH64_ADR_PREL_PG_HI21_NC, 4),
	Y(R_AARCH64_ADD_ABS_LO12_NC, 4),
	Y(R_AARCH64_LDST8_ABS_LO12_NC, 4),
	Y(R_AARCH64_TSTBR14, 4),
	Y(R_AARCH64_CONDBR19, 4),
	Y(R_AARCH64_JUMP26, 4),		/* via a PLT if out of range */
	Y(R_AARCH64_CALL26, 4),		/* via a PLT if out of range */
	Y(R_AARCH64_LDST16_ABS_LO12_NC, 4),
	Y(R_AARCH64_LDST32_ABS_LO12_NC, 4),
	Y(R_AARCH64_LDST64_ABS_LO12_NC, 4),
	Y(R_AARCH64_MOVW_PREL_G0, 4),
	Y(R_AARCH64_MOVW_PREL_G0_NC, 4),
	Y(R_AARCH64_MOVW_PREL_G1, 4),
	Y(R_AARCH64_MOVW_PREL_G1_NC, 4),
	Y(R_AARCH64_MOVW_PREL_G2, 4),
	Y(R_AARCH64_MOVW_PREL_G2_NC, 4),
	Y(R_AARCH64_MOVW_PREL_G3, 4),
	Y(R_AARCH64_LDST128_ABS_LO12_NC, 4),
	N(R_AARCH64_GOTREL64, 8),
	N(R_AARCH64_GOTREL32, 4),
	N(R_AARCH64_GOT_LD_PREL19, 4),
	N(R_AARCH64_LD64_GOTOFF_LO15, 4),
	N(R_AARCH64_ADR_GOT_PAGE, 4),
	N(R_AARCH64_LD64_GOT_LO12_NC, 4),
	N(R_AARCH64_LD64_GOTPAGE_LO15, 4),
	N(R_AARCH64_PLT32, 4),
	N(R_AARCH64_GOTPCREL32, 4),
	N(R_AARCH64_COPY, 0),
	N(R_AARCH64_GLOB_DAT, 8),
	N(R_AARCH64_JUMP_SLOT, 8),
	N(R_AARCH64_RELATIVE, 8),
	N(R_AARCH64_TLS_DTPMOD, 8),
	N(R_AARCH64_TLS_DTPREL, 8),
	N(R_AARCH64_TLS_TPREL, 8),
	N(R_AARCH64_TLSDESC, 16),
	N(R_AARCH64_IRELATIVE, 8),
};

/* 16-bit types rewrite the halfword at r_offset (ELFv2 little endian). */
static const struct klp_reloc_type ppc64_types[] = {
	N(R_PPC64_NONE, 0),		/* not in the 6.1 switch: load fails */
	Y(R_PPC64_ADDR32, 4),
	N(R_PPC64_ADDR24, 4),
	N(R_PPC64_ADDR16, 2),
	N(R_PPC64_ADDR16_LO, 2),
	N(R_PPC64_ADDR16_HI, 2),
	N(R_PPC64_ADDR16_HA, 2),
	N(R_PPC64_ADDR14, 4),
	/* To an SHN_LIVEPATCH symbol: through a stub; after a bl the next
	 * instruction must be a nop, which is rewritten to reload r2. */
	Y(R_PPC64_REL24, 4),
	N(R_PPC64_REL14, 4),
	N(R_PPC64_GOT16, 2),
	N(R_PPC64_GOT16_LO, 2),
	N(R_PPC64_GOT16_HI, 2),
	N(R_PPC64_GOT16_HA, 2),
	N(R_PPC64_COPY, 0),
	N(R_PPC64_GLOB_DAT, 8),
	N(R_PPC64_JMP_SLOT, 8),
	N(R_PPC64_RELATIVE, 8),
	Y(R_PPC64_REL32, 4),
	N(R_PPC64_ADDR30, 4),
	Y(R_PPC64_ADDR64, 8),
	N(R_PPC64_ADDR16_HIGHER, 2),
	N(R_PPC64_ADDR16_HIGHERA, 2),
	N(R_PPC64_ADDR16_HIGHEST, 2),
	N(R_PPC64_ADDR16_HIGHESTA, 2),
	N(R_PPC64_UADDR64, 8),
	Y(R_PPC64_REL64, 8),
	N(R_PPC64_PLT64, 8),
	N(R_PPC64_PLTREL64, 8),
	Y(R_PPC64_TOC16, 2),		/* TOC16*: relative to the patch module's TOC */
	Y(R_PPC64_TOC16_LO, 2),
	N(R_PPC64_TOC16_HI, 2),
	Y(R_PPC64_TOC16_HA, 2),
	Y(R_PPC64_TOC, 8),		/* writes the module's TOC pointer, ignores S+A */
	N(R_PPC64_ADDR16_DS, 2),
	N(R_PPC64_ADDR16_LO_DS, 2),
	N(R_PPC64_GOT16_DS, 2),
	N(R_PPC64_GOT16_LO_DS, 2),
	Y(R_PPC64_TOC16_DS, 2),
	Y(R_PPC64_TOC16_LO_DS, 2),
	N(R_PPC64_TLS, 0),
	N(R_PPC64_TLSGD, 0),
	N(R_PPC64_TLSLD, 0),
	Y(R_PPC64_TOCSAVE, 0),		/* marker, ignored */
	N(R_PPC64_ADDR16_HIGH, 2),
	N(R_PPC64_ADDR16_HIGHA, 2),
	N(R_PPC64_REL24_NOTOC, 4),	/* later kernels: only with PPC_KERNEL_PCREL */
	Y(R_PPC64_ENTRY, 8),		/* may rewrite a 2-instruction prologue */
	N(R_PPC64_PCREL_OPT, 0),
	N(R_PPC64_PCREL34, 8),		/* later kernels: only with PPC_KERNEL_PCREL */
	N(R_PPC64_GOT_PCREL34, 8),	/* likewise */
	N(R_PPC64_IRELATIVE, 8),
	N(R_PPC64_REL16, 2),
	Y(R_PPC64_REL16_LO, 2),
	N(R_PPC64_REL16_HI, 2),
	Y(R_PPC64_REL16_HA, 2),
};

#define S390_SILENT "none: apply_rela() prints nothing and fails the load with -ENOEXEC"

/* GOT/PLT types use slots the loader reserves from every SHT_RELA section. */
static const struct klp_reloc_type s390x_types[] = {
	Y(R_390_NONE, 0),
	Y(R_390_8, 1),
	Y(R_390_12, 2),			/* read-modify-write of a halfword */
	Y(R_390_16, 2),
	Y(R_390_32, 4),
	Y(R_390_PC32, 4),
	Y(R_390_GOT12, 2),
	Y(R_390_GOT32, 4),
	Y(R_390_PLT32, 4),
	/* Cases of their own in apply_rela(), which fail without a word. */
	R(R_390_COPY, 0, S390_SILENT),
	R(R_390_GLOB_DAT, 8, S390_SILENT),
	R(R_390_JMP_SLOT, 8, S390_SILENT),
	R(R_390_RELATIVE, 8, S390_SILENT),
	Y(R_390_GOTOFF32, 4),
	Y(R_390_GOTPC, 4),
	Y(R_390_GOT16, 2),
	Y(R_390_PC16, 2),
	Y(R_390_PC16DBL, 2),
	Y(R_390_PLT16DBL, 2),
	Y(R_390_PC32DBL, 4),
	Y(R_390_PLT32DBL, 4),
	Y(R_390_GOTPCDBL, 4),
	Y(R_390_64, 8),
	Y(R_390_PC64, 8),
	Y(R_390_GOT64, 8),
	Y(R_390_PLT64, 8),
	Y(R_390_GOTENT, 4),
	Y(R_390_GOTOFF16, 2),
	Y(R_390_GOTOFF64, 8),
	Y(R_390_GOTPLT12, 2),
	Y(R_390_GOTPLT16, 2),
	Y(R_390_GOTPLT32, 4),
	Y(R_390_GOTPLT64, 8),
	Y(R_390_GOTPLTENT, 4),
	Y(R_390_PLTOFF16, 2),
	Y(R_390_PLTOFF32, 4),
	Y(R_390_PLTOFF64, 8),
	N(R_390_TLS_LOAD, 0),
	N(R_390_TLS_GDCALL, 0),
	N(R_390_TLS_LDCALL, 0),
	N(R_390_TLS_GD32, 4),
	N(R_390_TLS_GD64, 8),
	N(R_390_TLS_GOTIE12, 2),
	N(R_390_TLS_GOTIE32, 4),
	N(R_390_TLS_GOTIE64, 8),
	N(R_390_TLS_LDM32, 4),
	N(R_390_TLS_LDM64, 8),
	N(R_390_TLS_IE32, 4),
	N(R_390_TLS_IE64, 8),
	N(R_390_TLS_IEENT, 4),
	N(R_390_TLS_LE32, 4),
	N(R_390_TLS_LE64, 8),
	N(R_390_TLS_LDO32, 4),
	N(R_390_TLS_LDO64, 8),
	N(R_390_TLS_DTPMOD, 8),
	N(R_390_TLS_DTPOFF, 8),
	N(R_390_TLS_TPOFF, 8),
	Y(R_390_20, 4),			/* read-modify-write of a word */
	Y(R_390_GOT20, 4),
	Y(R_390_GOTPLT20, 4),
	N(R_390_TLS_GOTIE20, 4),
	N(R_390_IRELATIVE, 8),
	N(R_390_PC12DBL, 2),
	N(R_390_PLT12DBL, 2),
	N(R_390_PC24DBL, 3),
	N(R_390_PLT24DBL, 3),
};

static const struct klp_reloc_type riscv64_types[] = {
	N(R_RISCV_NONE, 0),		/* no handler in 6.1: load fails */
	Y(R_RISCV_32, 4),
	Y(R_RISCV_64, 8),
	N(R_RISCV_RELATIVE, 8),
	N(R_RISCV_COPY, 0),
	N(R_RISCV_JUMP_SLOT, 8),
	N(R_RISCV_TLS_DTPMOD32, 4),
	N(R_RISCV_TLS_DTPMOD64, 8),
	N(R_RISCV_TLS_DTPREL32, 4),
	N(R_RISCV_TLS_DTPREL64, 8),
	N(R_RISCV_TLS_TPREL32, 4),
	N(R_RISCV_TLS_TPREL64, 8),
	Y(R_RISCV_BRANCH, 4),
	Y(R_RISCV_JAL, 4),
	Y(R_RISCV_CALL, 8),		/* auipc+jalr pair */
	Y(R_RISCV_CALL_PLT, 8),		/* auipc+jalr pair */
	Y(R_RISCV_GOT_HI20, 4),
	N(R_RISCV_TLS_GOT_HI20, 4),
	N(R_RISCV_TLS_GD_HI20, 4),
	Y(R_RISCV_PCREL_HI20, 4),
	/* LO12: the symbol is the label of the matching PCREL/GOT_HI20, which
	 * the kernel searches for in the same relocation section. */
	Y(R_RISCV_PCREL_LO12_I, 4),
	Y(R_RISCV_PCREL_LO12_S, 4),
	Y(R_RISCV_HI20, 4),		/* fails with CONFIG_CMODEL_MEDLOW */
	Y(R_RISCV_LO12_I, 4),
	Y(R_RISCV_LO12_S, 4),
	N(R_RISCV_TPREL_HI20, 4),
	N(R_RISCV_TPREL_LO12_I, 4),
	N(R_RISCV_TPREL_LO12_S, 4),
	N(R_RISCV_TPREL_ADD, 0),
	N(R_RISCV_ADD8, 1),
	N(R_RISCV_ADD16, 2),
	Y(R_RISCV_ADD32, 4),		/* adds to the existing value */
	Y(R_RISCV_ADD64, 8),
	N(R_RISCV_SUB8, 1),
	N(R_RISCV_SUB16, 2),
	Y(R_RISCV_SUB32, 4),		/* subtracts from the existing value */
	Y(R_RISCV_SUB64, 8),
	N(R_RISCV_GNU_VTINHERIT, 0),
	N(R_RISCV_GNU_VTENTRY, 0),
	R(R_RISCV_ALIGN, 0,		/* has a handler, which always fails */
	  "...: The unexpected relocation type 'R_RISCV_ALIGN' from PC = ..."),
	Y(R_RISCV_RVC_BRANCH, 2),
	Y(R_RISCV_RVC_JUMP, 2),
	N(R_RISCV_RVC_LUI, 2),
	N(R_RISCV_GPREL_I, 4),
	N(R_RISCV_GPREL_S, 4),
	N(R_RISCV_TPREL_I, 4),
	N(R_RISCV_TPREL_S, 4),
	Y(R_RISCV_RELAX, 0),		/* no-op */
	N(R_RISCV_SUB6, 1),
	N(R_RISCV_SET6, 1),
	N(R_RISCV_SET8, 1),
	N(R_RISCV_SET16, 2),
	N(R_RISCV_SET32, 4),
	N(R_RISCV_32_PCREL, 4),
	N(R_RISCV_IRELATIVE, 8),
	N(R_RISCV_PLT32, 4),
	N(R_RISCV_SET_ULEB128, 0),
	N(R_RISCV_SUB_ULEB128, 0),
};

/*
 * Consumed between relocation and the patch module's init (where
 * module-specific klp relocations are first applied): read, sorted, copied
 * or handed to a notifier, or (.data..percpu, .modinfo, __versions) made
 * non-SHF_ALLOC by the loader, so a late relocation writes a stale address.
 */
static const char *const klp_generic_special_sections[] = {
	"__jump_table",			/* jump_label notifier: sorted, patched */
	".static_call_sites",		/* static_call notifier: sorted, patched */
	"__ex_table",			/* sorted in post_relocation() */
	"__bug_table",			/* registered by module_bug_finalize() */
	"__mcount_loc",			/* ftrace_module_init(): call sites */
	"__patchable_function_entries",	/* same, when FTRACE_CALLSITE_SECTION */
	"__param",			/* parse_args() before init */
	"__ksymtab*",			/* exports, checked at load */
	"__kcrctab*",
	".ctors",			/* run by do_mod_ctors() before init */
	".init_array",
	".gnu.linkonce.this_module",	/* struct module itself */
	"__tracepoints_ptrs",		/* tracepoint notifier */
	"___srcu_struct_ptrs",		/* srcu notifier: init_srcu_struct() */
	"__bpf_raw_tp_map",		/* bpf notifier */
	"_ftrace_events",		/* trace event notifier */
	"_ftrace_eval_map",
	"__trace_printk_fmt",		/* trace_printk notifier */
	"_error_injection_whitelist",	/* error-injection notifier */
	"_kprobe_blacklist",		/* kprobes notifier */
	".kunit_test_suites",		/* kunit notifier runs the suites */
	"__dyndbg",			/* dynamic_debug_setup() */
	"__dyndbg_classes",
	".data..percpu",		/* copied to per-cpu areas, then unused */
	".modinfo",
	"__versions",
	NULL
};

/* arch/x86/kernel/module.c module_finalize() */
static const char *const x86_64_special[] = {
	".altinstructions",
	".altinstr_replacement",	/* copied into the code by alternatives */
	".parainstructions",		/* removed in 6.8 */
	".smp_locks",
	".orc_unwind",			/* sorted with .orc_unwind_ip */
	".orc_unwind_ip",
	".retpoline_sites",
	".return_sites",
	".ibt_endbr_seal",
	".call_sites",			/* 6.2+ */
	".cfi_sites",			/* 6.2+ */
	NULL
};

/* arch/arm64/kernel/module.c module_finalize(), module-plts.c frob */
static const char *const aarch64_special[] = {
	".altinstructions",
	".text.ftrace_trampoline",	/* filled by module_init_ftrace_plt() */
	".plt",				/* sized and filled by the loader */
	".init.plt",
	NULL
};

/* arch/powerpc/kernel/module.c module_finalize(), module_64.c frob */
static const char *const ppc64_special[] = {
	"__ftr_fixup",
	"__mmu_ftr_fixup",
	"__fw_ftr_fixup",
	"__spec_barrier_fixup",
	"__lwsync_fixup",
	".stubs",			/* sized and filled by the loader */
	NULL
};

/* arch/s390/kernel/module.c module_finalize() */
static const char *const s390x_special[] = {
	".altinstructions",
	".s390_indirect*",		/* expoline nospec_revert() */
	".s390_return*",
	NULL
};

/* arch/riscv/kernel/module.c module_finalize(), module-sections.c frob */
static const char *const riscv64_special[] = {
	".alternative",
	".plt",				/* sized and filled by the loader */
	".got",
	".got.plt",
	NULL
};

/* The default case of each 6.1 apply_relocate_add() (x86_64, aarch64 and
 * riscv64 read in 6.12 as well: the same words), with the module's name
 * as "..." (see klp_rules[] in check.c). */
static const struct klp_arch arches[] = {
	{ EM_X86_64, "x86_64", x86_64_types, COUNT(x86_64_types), true, x86_64_special,
	  "...: Unknown rela relocation: %s" },
	{ EM_AARCH64, "aarch64", aarch64_types, COUNT(aarch64_types), false, aarch64_special,
	  "module ...: unsupported RELA relocation: %s" },
	{ EM_PPC64, "ppc64le", ppc64_types, COUNT(ppc64_types), false, ppc64_special,
	  "...: Unknown ADD relocation: %s" },
	{ EM_S390, "s390x", s390x_types, COUNT(s390x_types), false, s390x_special,
	  "module ...: unknown relocation: %s" },
	{ EM_RISCV, "riscv64", riscv64_types, COUNT(riscv64_types), false, riscv64_special,
	  "...: Unknown relocation type %s" },
};

const struct klp_arch *klp_arch_find(uint16_t e_machine)
{
	for (size_t i = 0; i < COUNT(arches); i++)
		if (arches[i].e_machine == e_machine)
			return &arches[i];
	return NULL;
}

const struct klp_reloc_type *klp_arch_reloc(const struct klp_arch *arch, uint32_t type)
{
	size_t lo = 0, hi;

	if (!arch)
		return NULL;
	hi = arch->nr_types;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct klp_reloc_type *t = &arch->types[mid];

		if (t->type == type)
			return t;
		if (t->type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *klp_arch_reloc_refusal(const struct klp_arch *arch, uint32_t type)
{
	const struct klp_reloc_type *t = klp_arch_reloc(arch, type);

	return t && t->refused ? t->refused : arch->reloc_refused;
}

const char *klp_reloc_type_name(const struct klp_arch *arch, uint32_t type,
				char *buf, size_t len)
{
	const struct klp_reloc_type *t = klp_arch_reloc(arch, type);

	if (t)
		return t->name;
	if (!buf || !len)
		return "unknown type";
	snprintf(buf, len, "type %u", (unsigned int)type);
	return buf;
}

/* Is NAME in LIST, where an entry ending in '*' matches a prefix?  Runs
 * once per relocated section: no strlen, and most names differ early.  */
static bool in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++) {
		const char *e = *list, *n = name;

		while (*e && *e != '*' && *e == *n) {
			e++;
			n++;
		}
		if ((*e == '*' && e[1] == '\0') || (*e == '\0' && *n == '\0'))
			return true;
	}
	return false;
}

/* A hash of a name's first three bytes (fewer if it is shorter). */
static unsigned int head_key(const char *s)
{
	unsigned int a = (unsigned char)s[0];
	unsigned int b = a ? (unsigned char)s[1] : 0;
	unsigned int c = b ? (unsigned char)s[2] : 0;

	return (a * 961 + b * 31 + c) & 4095;
}

/*
 * The heads of the special section names of one architecture: a name
 * whose head is not among them is in neither list, and most relocated
 * sections (.text.<function>) are rejected without a string compare.
 */
struct head_filter {
	const struct klp_arch *arch;
	bool built, useless;	/* useless: an entry has '*' in its head */
	uint64_t bits[4096 / 64];
};

static void filter_add(struct head_filter *f, const char *const *list)
{
	for (; list && *list; list++) {
		const char *star = strchr(*list, '*');
		unsigned int k = head_key(*list);

		if (star && star - *list < 3)
			f->useless = true;
		f->bits[k / 64] |= 1ULL << (k % 64);
	}
}

static struct head_filter special_filter;

void klp_special_sections_prepare(const struct klp_arch *arch)
{
	struct head_filter *f = &special_filter;

	if (f->built && f->arch == arch)
		return;
	memset(f, 0, sizeof(*f));
	f->arch = arch;
	f->built = true;
	filter_add(f, klp_generic_special_sections);
	if (arch)
		filter_add(f, arch->special_sections);
}

bool klp_is_special_section(const struct klp_arch *arch, const char *secname)
{
	const struct head_filter *f = &special_filter;
	unsigned int k;

	if (!secname)
		return false;
	klp_special_sections_prepare(arch);
	k = head_key(secname);
	if (!f->useless && !(f->bits[k / 64] >> (k % 64) & 1))
		return false;
	return in_list(klp_generic_special_sections, secname) ||
	       (arch && in_list(arch->special_sections, secname));
}
