/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - what the kernel's loader refuses in a livepatch module: one
 * table of rules, used by --check on any module and by the converter on
 * what it is about to write.
 */
#ifndef KLP_CHECK_H
#define KLP_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "arch.h"
#include "diag.h"
#include "elf-file.h"
#include "klp.h"

enum klp_rule {
	RULE_NOT_LIVEPATCH,	/* no livepatch=Y and nothing klp in it */
	RULE_MODINFO,		/* klp content without livepatch=Y */
	RULE_MODINFO_VALUE,	/* a warning: livepatch=y, livepatch=1 */
	RULE_ARCH,
	RULE_PREFIX_DEFINED,	/* a klp_reloc.h name that is defined */
	RULE_PREFIX_PARSE,	/* a klp_reloc.h name that does not parse */
	RULE_LEFTOVER,		/* a klp_reloc.h name not converted */
	RULE_SEC_TYPE,
	RULE_SEC_FLAGS,
	RULE_SEC_LINK,		/* a warning: the kernel ignores sh_link */
	RULE_SEC_TARGET,
	RULE_SEC_ENTSIZE,	/* a warning: the kernel ignores sh_entsize */
	RULE_SEC_SIZE,		/* not a whole number of Elf64_Rela */
	RULE_SEC_NAME,		/* sscanf of the object fails */
	RULE_SEC_OBJECT,	/* the object the kernel reads is not meant */
	RULE_OBJECT_NAME,	/* an object no module can be named */
	RULE_OBJECT_LIKE_VMLINUX,	/* a warning: vmlinuz, vmlnux */
	RULE_SYM_SHNDX,
	RULE_SYM_UNDEF,
	RULE_SYM_NAME,
	RULE_SYM_UNUSED,	/* a warning: one of the three above, in a
				 * symbol no klp relocation uses */
	RULE_SYM_TOO_LONG,	/* parses, but kallsyms cuts it short */
	RULE_SYM_INDEX,
	RULE_VMLINUX_FROM_MODULE,
	RULE_SPECIAL_SECTION,
	RULE_INIT_SECTION,
	RULE_LOST_SECTION,
	RULE_RELOC_TYPE,
	RULE_RELOC_PAIR,
	RULE_RELOC_OFFSET,
	RULE_NONZERO,
	RULE_PPC64_CALL_NOP,	/* bl to a klp symbol without a nop after */
	RULE_ORDINARY_TO_KLP,
	RULE_REL,
	RULE_NOT_EXPORTED,
	RULE_RO_TARGET,		/* a warning */
	NR_RULES
};

struct klp_rule_info {
	const char *id;		/* stable name, in messages and JSON */
	enum diag_level level;
	const char *kernel;	/* what the load would print, or what happens */
};

extern const struct klp_rule_info klp_rules[NR_RULES];

/* Defined functions and objects by (section, value), for FUNC+0xOFF. */
struct func_ref {
	size_t shndx;
	uint64_t value, size;
	size_t symidx;
};

/* SYM_OBJ_NONE: not SHN_LIVEPATCH; SYM_OBJ_BAD: SHN_LIVEPATCH, but the
 * name does not parse.  A byte per symbol: the relocation loops read
 * this instead of the 24-byte symbols.  */
enum { SYM_OBJ_NONE, SYM_OBJ_VMLINUX, SYM_OBJ_MODULE, SYM_OBJ_BAD };

struct klp_checker {
	struct elf_file *ef;
	struct diag *d;
	const struct klp_arch *arch;
	const struct klp_reloc_type *rt_by_type[64];	/* looked up so far */
	const struct klp_symvers *symvers;	/* NULL: no export check */
	bool relocs_checked;		/* klp_check_reloc() already ran on
					 * every klp relocation */
	bool quiet;			/* report nothing, only set FOUND: for
					 * a first pass that leaves reporting
					 * to a second */
	bool found;

	unsigned char *kinds;		/* per target section, on first use */
	unsigned char *sym_obj;		/* per symbol: SYM_OBJ_* */
	unsigned char *klp_used;	/* per symbol: KLP_USED_* bits, built
					 * on first use */
	bool klp_used_all;		/* a klp section not read: count every
					 * symbol as used, and applied */
	struct func_ref *funcs;		/* built on first use */
	size_t nfuncs;
	char **like_vmlinux;		/* objects warned about */
	size_t nlike_vmlinux;
	/* What klp_objname_problem() and klp_objname_like_vmlinux() said
	 * of the first object names asked about.  */
	struct klp_objname_memo {
		char name[KLP_OBJNAME_MAX];
		size_t len;
		const char *problem;
		bool like_vmlinux;
	} objnames[16];
	size_t nobjnames;
};

/* c->arch is NULL where the kernel has no livepatch (and for big-endian
 * ppc64).  */
void klp_checker_init(struct klp_checker *c, struct elf_file *ef);
void klp_checker_free(struct klp_checker *c);

/* Report RULE_ARCH and return false if the machine has no livepatch. */
bool klp_check_arch(struct klp_checker *c);

/* Does the module hold klp sections or symbols (converted already)? */
bool klp_has_content(const struct elf_file *ef);

/* Does a .modinfo of the input say livepatch=Y? */
enum klp_modinfo {
	MODINFO_NO,		/* no livepatch=Y in the .modinfo read */
	MODINFO_LIVEPATCH,	/* livepatch=Y */
	MODINFO_IGNORED,	/* livepatch=Y only where the loader ignores it */
	MODINFO_OTHER_VALUE,	/* livepatch= with another value: a livepatch
				 * for the kernel, not what MODULE_INFO writes */
};

/* What the module's .modinfo, as the kernel finds it, says. */
enum klp_modinfo klp_modinfo(struct elf_file *ef);
/* What to do about M (not MODINFO_LIVEPATCH), for a message. */
const char *klp_modinfo_fix(enum klp_modinfo m);

/* "[IDX] SECTION+0xOFF (FUNC+0xOFF)" for offset OFF in section SHNDX. */
const char *klp_where(struct klp_checker *c, size_t shndx, uint64_t off,
		      char *buf, size_t len);

/* ".symtab entry SYMIDX": formatted only when a report needs it. */
const char *klp_symtab_loc(char *buf, size_t len, size_t symidx);

/*
 * Report a finding of RULE at location LOC (NULL: the file) about symbol
 * SYM (NULL: none); FMT says what is wrong and what to do.
 */
void klp_report(struct klp_checker *c, enum klp_rule rule, const char *loc,
		const char *sym, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * The same, with KTEXT (NULL: the rule's own) for the kernel's part, for a
 * rule whose kernel text depends on the case, and KARG (NULL: SYM) in the
 * kernel's message where the symbol would go: the kernel does not always
 * name a symbol the way the file does.
 */
void klp_report_ktext(struct klp_checker *c, enum klp_rule rule,
		      const char *loc, const char *sym, const char *ktext,
		      const char *karg, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Does the kernel's sscanf(".klp.sym.%55[^.].%511[^,],%lu") read NAME? */
bool klp_sym_name_parses(const char *name);

/* What the kernel prints when a klp relocation it applies uses a klp
 * symbol of object names no module has: KARG is the bare symbol.  */
#define KLP_TEXT_NOT_FOUND	"symbol '%s' not found in symbol table"

/* What the module loader does with a section, by its name. */
enum klp_target_kind {
	TARGET_UNKNOWN,
	TARGET_PLAIN,
	TARGET_LOST,		/* SHF_ALLOC cleared before relocating */
	TARGET_INIT,		/* freed after the module's init */
	TARGET_SPECIAL,		/* processed while the livepatch loads */
};

enum klp_target_kind klp_target_kind(const struct klp_arch *arch,
				     const char *name);

/* A bit of klp_reloc_problems()'s answer. */
#define KLP_RULE_BIT(rule)	(UINT64_C(1) << (rule))

/*
 * The rules klp_check_reloc() applies to one klp relocation R, decided
 * without a word: the KLP_RULE_BIT() of each one broken (0: none).  RT is
 * klp_arch_reloc(ARCH, R's type); TSH the target's header; BYTES the
 * target's input contents in the file (NULL: none, for a new or NOBITS
 * section); KIND the target's; MODULE: R is for a module, not vmlinux.
 * When the offset is out of range, nothing at the location is looked at.
 */
uint64_t klp_reloc_problems(const struct klp_arch *arch,
			    const struct klp_reloc_type *rt, const Elf64_Shdr *tsh,
			    const unsigned char *bytes, enum klp_target_kind kind,
			    const Elf64_Rela *r, bool module);

/*
 * The rules for one klp relocation R into section TARGET, carried by
 * module LP_OBJ (NULL for vmlinux): its type, offset and location on
 * this architecture, and, for a module, the special and .init sections
 * the module's own load processes too early or frees.  Reports name R's
 * symbol as the symbol table has it.  Callers tell vmlinux once per
 * object, not once per relocation.
 */
void klp_check_reloc(struct klp_checker *c, size_t target,
		     const Elf64_Rela *r, const char *lp_obj);

/* Symbol SYM, named NAME, is undefined, the loader must find it, and
 * no Module.symvers of SV exports it.  */
bool klp_export_missing(uint16_t e_machine, const Elf64_Sym *sym,
			const char *name, const struct klp_symvers *sv);

/* With c->symvers: every undefined symbol must be exported. */
void klp_check_exports(struct klp_checker *c);

/* Check a whole module (or the converter's result in memory).  Return
 * the number of errors found.  */
size_t klp_check_module(struct klp_checker *c);

#endif /* KLP_CHECK_H */
