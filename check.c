// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c - tell at build time what the kernel would refuse at load time.
 *
 * The rules come from kernel/livepatch/core.c (klp_apply_section_relocs,
 * klp_resolve_symbols), kernel/module/main.c and the architectures'
 * apply_relocate_add(); ../shared/docs/kernel-rules.md lists them.  The
 * same functions check a module read from disk (--check) and the
 * converter's own result before it is written, so the two cannot disagree.
 */
#define _GNU_SOURCE
#include "check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each kernel text is the kernel's format string as it would print it
 * (without the "livepatch: " that pr_fmt puts before kernel/livepatch's
 * messages): what only the loading kernel knows, the module's own name
 * (the build decides it) or an address, is written "...", and a %s takes
 * the symbol or what the report passes instead.
 */
const struct klp_rule_info klp_rules[NR_RULES] = {
	[RULE_NOT_LIVEPATCH] = { "not-livepatch", DIAG_ERROR,
		"module %s is not marked as a livepatch module" },
	[RULE_MODINFO] = { "livepatch-modinfo", DIAG_ERROR,
		"module %s is not marked as a livepatch module" },
	[RULE_MODINFO_VALUE] = { "livepatch-modinfo-value", DIAG_WARNING,
		"none: the kernel takes the tag with any value as a livepatch" },
	[RULE_ARCH] = { "architecture", DIAG_ERROR,
		"no livepatch support on this architecture" },
	[RULE_PREFIX_DEFINED] = { "prefixed-symbol-defined", DIAG_ERROR,
		"none: the kernel takes it for an ordinary symbol of its section, and references to it use this definition" },
	/* The converter leaves it undefined, and nothing exports the name. */
	[RULE_PREFIX_PARSE] = { "prefixed-symbol-name", DIAG_ERROR,
		"...: Unknown symbol %s (err -2)" },
	[RULE_LEFTOVER] = { "prefixed-symbol-left", DIAG_ERROR,
		"...: Unknown symbol %s (err -2)" },
	[RULE_SEC_TYPE] = { "klp-section-type", DIAG_ERROR,		/* SHF_RELA_LIVEPATCH */
		"none: the kernel tests only SHF_RELA_LIVEPATCH and applies the section's bytes as Elf64_Rela entries whatever its type" },
	[RULE_SEC_FLAGS] = { "klp-section-flags", DIAG_ERROR,
		"none: applied as an ordinary relocation section, or, without SHF_ALLOC, module-specific ones Oops" },
	[RULE_SEC_LINK] = { "klp-section-link", DIAG_WARNING,
		"none: the kernel never reads sh_link: it resolves every klp relocation against the module's .symtab" },
	[RULE_SEC_TARGET] = { "klp-section-target", DIAG_ERROR,
		"none: only the module loader, for a vmlinux section, skips an unallocated or missing target; otherwise the relocations are written wherever sh_info points: another section, the patch's freed load image, or past the section table" },
	[RULE_SEC_ENTSIZE] = { "klp-section-entsize", DIAG_WARNING,
		"none: the kernel never reads sh_entsize (its loader keeps a layout offset there) and applies sh_size / 24 entries" },
	[RULE_SEC_SIZE] = { "klp-section-size", DIAG_ERROR,
		"none: the kernel applies the sh_size / 24 whole entries and ignores the bytes after them" },
	[RULE_SEC_NAME] = { "klp-section-name", DIAG_ERROR,
		"section %s has an incorrectly formatted name" },
	[RULE_SEC_OBJECT] = { "klp-section-object", DIAG_ERROR,
		"none: the kernel reads the object name as '%s' and applies the section only for an object of that name" },
	[RULE_OBJECT_NAME] = { "klp-object-name", DIAG_ERROR,
		"none: no loaded object has this name, so its relocations are never applied" },
	[RULE_OBJECT_LIKE_VMLINUX] = { "object-like-vmlinux", DIAG_WARNING,
		"none: relocations for an object that never loads are never applied" },
	[RULE_SYM_TOO_LONG] = { "klp-symbol-too-long", DIAG_ERROR,
		"none: the kernel parses it, but kallsyms (/proc/kallsyms, kallsyms_lookup()) gives back only its first 511 bytes" },
	[RULE_SYM_SHNDX] = { "klp-symbol-shndx", DIAG_ERROR,
		"symbol %s is not marked as a livepatch symbol" },
	[RULE_SYM_UNDEF] = { "klp-symbol-undefined", DIAG_ERROR,
		"...: Unknown symbol %s (err -2)" },
	[RULE_SYM_NAME] = { "klp-symbol-name", DIAG_ERROR,
		"symbol %s has an incorrectly formatted name" },
	[RULE_SYM_UNUSED] = { "klp-symbol-unused", DIAG_WARNING,	/* SHN_LIVEPATCH */
		"none: no klp relocation uses it, so the kernel never parses its name" },
	[RULE_SYM_INDEX] = { "relocation-symbol-index", DIAG_ERROR,
		"none: reads past the symbol table" },
	[RULE_VMLINUX_FROM_MODULE] = { "vmlinux-from-module-section", DIAG_ERROR,
		"invalid access to vmlinux symbol '%s' from module-specific livepatch relocation section" },
	[RULE_SPECIAL_SECTION] = { "special-section", DIAG_ERROR,
		"none: applied after the livepatch's own load processed the section" },
	[RULE_INIT_SECTION] = { "init-section", DIAG_ERROR,
		"none: writes memory freed after the module's init" },
	[RULE_LOST_SECTION] = { "unrelocated-section", DIAG_ERROR,
		"none: the loader clears SHF_ALLOC of this section first" },
	[RULE_RELOC_TYPE] = { "relocation-type", DIAG_ERROR,
		NULL },		/* per architecture: klp_arch_reloc_refusal() */
	[RULE_RELOC_PAIR] = { "relocation-pair", DIAG_ERROR,
		"Can not find HI20 relocation information" },
	[RULE_RELOC_OFFSET] = { "relocation-offset", DIAG_ERROR,
		"none: writes past the section" },
	[RULE_NONZERO] = { "nonzero-location", DIAG_ERROR,
		/* r_type, decimal; 6.3 reworded the start */
		"x86/modules: Invalid relocation target, existing value is nonzero for type %s, loc ..., val ... (6.1: Skipping invalid relocation target, ...)" },
	[RULE_PPC64_CALL_NOP] = { "ppc64-call-without-nop", DIAG_ERROR,
		"...: Expected nop after call, got %s at ..." },	/* the word, %08x */
	[RULE_ORDINARY_TO_KLP] = { "ordinary-relocation-to-klp-symbol", DIAG_ERROR,
		"none: applied at load against address 0, before livepatch resolves the symbol" },
	[RULE_REL] = { "rel-relocations", DIAG_ERROR,
		"module ...: REL relocation unsupported" },
	[RULE_NOT_EXPORTED] = { "symbol-not-exported", DIAG_ERROR,
		"...: Unknown symbol %s (err -2)" },
	[RULE_RO_TARGET] = { "read-only-target", DIAG_WARNING,
		"none: works where the kernel writes through text_poke (x86_64, s390); may fault elsewhere" },
};

void klp_checker_init(struct klp_checker *c, struct elf_file *ef)
{
	memset(c, 0, sizeof(*c));
	c->ef = ef;
	c->d = ef->diag;
	c->arch = klp_arch_find(ef->ehdr.e_machine);
	/* Livepatch on ppc64 is little-endian only (ELFv2). */
	if (ef->ehdr.e_machine == EM_PPC64 && ef->data_enc == ELFDATA2MSB)
		c->arch = NULL;
}

bool klp_check_arch(struct klp_checker *c)
{
	const struct elf_file *ef = c->ef;

	if (!c->arch)
		klp_report(c, RULE_ARCH, NULL, NULL,
			   "machine %u%s: the kernel has no livepatch support for this architecture",
			   ef->ehdr.e_machine,
			   ef->data_enc == ELFDATA2MSB ? " (big-endian)" : "");
	return c->arch != NULL;
}

void klp_checker_free(struct klp_checker *c)
{
	for (size_t i = 0; i < c->nlike_vmlinux; i++)
		free(c->like_vmlinux[i]);
	free(c->like_vmlinux);
	c->like_vmlinux = NULL;
	c->nlike_vmlinux = 0;
	free(c->funcs);
	free(c->kinds);
	free(c->sym_obj);
	free(c->klp_used);
	c->funcs = NULL;
	c->kinds = NULL;
	c->sym_obj = NULL;
	c->klp_used = NULL;
}

/* ------------------------------------------------------------------ */
/* Locations and reports                                              */
/* ------------------------------------------------------------------ */

static int cmp_func_ref(const void *a, const void *b)
{
	const struct func_ref *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->symidx < y->symidx ? -1 : x->symidx > y->symidx;
}

static void build_funcs(struct klp_checker *c)
{
	const struct elf_file *ef = c->ef;

	c->funcs = xcalloc(ef->nsyms, sizeof(*c->funcs));
	for (size_t i = 1; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		int type = ELF64_ST_TYPE(sym->st_info);
		size_t shndx = elf_sym_shndx(ef, i);

		if ((type != STT_FUNC && type != STT_OBJECT) ||
		    shndx == SHN_UNDEF || shndx >= ef->nsecs ||
		    (sym->st_shndx >= SHN_LORESERVE &&
		     sym->st_shndx != SHN_XINDEX))
			continue;
		c->funcs[c->nfuncs++] = (struct func_ref){
			shndx, sym->st_value, sym->st_size, i };
	}
	qsort(c->funcs, c->nfuncs, sizeof(*c->funcs), cmp_func_ref);
}

const char *klp_symtab_loc(char *buf, size_t len, size_t symidx)
{
	snprintf(buf, len, ".symtab entry %zu", symidx);
	return buf;
}

const char *klp_where(struct klp_checker *c, size_t shndx, uint64_t off,
		      char *buf, size_t len)
{
	const struct func_ref *best = NULL;
	size_t lo = 0, hi;
	int n;

	n = snprintf(buf, len, "[%zu] %s+0x%" PRIx64, shndx,
		     c->ef->secs[shndx].name, off);
	if (!c->funcs)
		build_funcs(c);
	hi = c->nfuncs;
	while (lo < hi) {		/* last entry <= (shndx, off) */
		size_t mid = lo + (hi - lo) / 2;
		const struct func_ref *f = &c->funcs[mid];

		if (f->shndx < shndx || (f->shndx == shndx && f->value <= off)) {
			best = f;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (best && best->shndx == shndx && off - best->value < best->size &&
	    n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (%s+0x%" PRIx64 ")",
			 elf_sym_name(c->ef, best->symidx), off - best->value);
	return buf;
}

/*
 * NAME as the kernel prints it in RULE's text.  The rules below name an
 * SHN_UNDEF symbol, and on ppc64, dedotify() in module_frob_arch_sections()
 * drops the leading '.' of every SHN_UNDEF symbol's name before
 * simplify_symbols() looks it up (6.1 and 6.12).
 */
static const char *undef_name(const struct klp_checker *c,
			      enum klp_rule rule, const char *name)
{
	switch (rule) {
	case RULE_PREFIX_PARSE:
	case RULE_LEFTOVER:
	case RULE_SYM_UNDEF:
	case RULE_NOT_EXPORTED:
		break;
	default:
		return name;
	}
	if (name[0] == '.' && c->ef->ehdr.e_machine == EM_PPC64)
		return name + 1;
	return name;
}

/* KTEXT: the kernel text, NULL for RULE's own. */
static void vreport(struct klp_checker *c, enum klp_rule rule,
		    const char *loc, const char *sym, const char *ktext,
		    const char *karg, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

static void vreport(struct klp_checker *c, enum klp_rule rule,
		    const char *loc, const char *sym, const char *ktext,
		    const char *karg, const char *fmt, va_list ap)
{
	const struct klp_rule_info *ri = &klp_rules[rule];
	char cause[1024], kernel[2048] = "";

	if (c->quiet) {
		c->found = true;
		return;
	}
	vsnprintf(cause, sizeof(cause), fmt, ap);
	if (!ktext)
		ktext = ri->kernel;
	if (ktext) {
		/* The texts hold at most one %s: KARG, the symbol, or
		 * "..." when there is none.  */
		const char *hole = strstr(ktext, "%s");

		if (!karg)
			karg = sym ? undef_name(c, rule, sym) : "...";
		if (hole)
			snprintf(kernel, sizeof(kernel), "%.*s%s%s",
				 (int)(hole - ktext), ktext, karg, hole + 2);
		else
			snprintf(kernel, sizeof(kernel), "%s", ktext);
	}

	if (c->d->json) {
		FILE *f = c->d->json;

		if (ri->level == DIAG_ERROR)
			c->d->errors++;
		else
			c->d->warnings++;
		diag_json_begin(c->d, ri->level, ri->id);
		fputs(", \"location\": ", f);
		diag_json_string(f, loc ? loc : "");
		fputs(", \"symbol\": ", f);
		diag_json_string(f, sym ? sym : "");
		fputs(", \"message\": ", f);
		diag_json_string(f, cause);
		fputs(", \"kernel\": ", f);
		diag_json_string(f, kernel);
		fputc('}', f);
		return;
	}
	diag_report(c->d, ri->level, "%s%s%s%s%s%s [%s]%s%s%s",
		    loc ? loc : "", loc ? ": " : "",
		    sym ? "symbol '" : "", sym ? sym : "", sym ? "': " : "",
		    cause, ri->id, *kernel ? " (kernel: \"" : "", kernel,
		    *kernel ? "\")" : "");
}

void klp_report(struct klp_checker *c, enum klp_rule rule, const char *loc,
		const char *sym, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, rule, loc, sym, NULL, NULL, fmt, ap);
	va_end(ap);
}

void klp_report_ktext(struct klp_checker *c, enum klp_rule rule,
		      const char *loc, const char *sym, const char *ktext,
		      const char *karg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, rule, loc, sym, ktext, karg, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Relocation rules                                                   */
/* ------------------------------------------------------------------ */

enum klp_target_kind klp_target_kind(const struct klp_arch *arch,
				     const char *name)
{
	/* kernel/module/main.c clears SHF_ALLOC of these */
	if (strcmp(name, ".data..percpu") == 0 ||
	    strcmp(name, ".modinfo") == 0 || strcmp(name, "__versions") == 0)
		return TARGET_LOST;
	/* module_init_section(); powerpc's always says no ("We don't
	 * handle .init for the moment"): ppc64 keeps .init* for good.  */
	if (strncmp(name, ".init", 5) == 0 && arch->e_machine != EM_PPC64)
		return TARGET_INIT;
	if (klp_is_special_section(arch, name))
		return TARGET_SPECIAL;
	return TARGET_PLAIN;
}

static enum klp_target_kind target_kind(struct klp_checker *c, size_t target)
{
	if (!c->kinds)
		c->kinds = xcalloc(c->ef->nsecs, sizeof(*c->kinds));
	if (c->kinds[target] == TARGET_UNKNOWN)
		c->kinds[target] = (unsigned char)
			klp_target_kind(c->arch, c->ef->secs[target].name);
	return c->kinds[target];
}

/* The location text, formatted on first use: most relocations pass. */
struct lazy_loc {
	struct klp_checker *c;
	size_t target;
	uint64_t off;
	char buf[512];
	bool done;
};

static const char *lazy_where(struct lazy_loc *l)
{
	if (l->c->quiet)	/* nothing will print it */
		return "";
	if (!l->done)
		klp_where(l->c, l->target, l->off, l->buf, sizeof(l->buf));
	l->done = true;
	return l->buf;
}

/*
 * ppc64: a call (bl) to a klp symbol goes through a stub that changes r2,
 * and restore_r2() in arch/powerpc/kernel/module_64.c wants the word after
 * the bl to be a nop, to turn into the reload of r2; anything else fails
 * the load.  Compilers emit the nop for every call to an extern; hand-
 * written assembly may not.  A plain branch (b, a sibling call) needs none.
 * The kernel has livepatch for little-endian ppc64 only: words are read
 * so.  Return the word after the bl (0 past the end), or the nop when
 * there is nothing to say.
 */
#define PPC64_NOP	0x60000000u

static uint32_t le32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t ppc64_word_after_call(const Elf64_Shdr *tsh,
				      const unsigned char *bytes, uint64_t off)
{
	if (!bytes || off % 4 || off + 4 > tsh->sh_size ||
	    (le32_at(bytes + off) & 0xfc000003) != 0x48000001)	/* not bl */
		return PPC64_NOP;
	return off + 8 <= tsh->sh_size ? le32_at(bytes + off + 4) : 0;
}

uint64_t klp_reloc_problems(const struct klp_arch *arch,
			    const struct klp_reloc_type *rt, const Elf64_Shdr *tsh,
			    const unsigned char *bytes, enum klp_target_kind kind,
			    const Elf64_Rela *r, bool module)
{
	uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
	uint64_t width = rt ? rt->width : 0, found = 0;

	if (!rt || !rt->supported)
		found |= KLP_RULE_BIT(RULE_RELOC_TYPE);
	if (arch->e_machine == EM_RISCV &&
	    (type == R_RISCV_PCREL_HI20 || type == R_RISCV_GOT_HI20))
		found |= KLP_RULE_BIT(RULE_RELOC_PAIR);
	if (r->r_offset >= tsh->sh_size || width > tsh->sh_size - r->r_offset)
		return found | KLP_RULE_BIT(RULE_RELOC_OFFSET);
	if (arch->zero_check && width && bytes) {
		for (uint64_t k = 0; k < width; k++)
			if (bytes[r->r_offset + k]) {
				found |= KLP_RULE_BIT(RULE_NONZERO);
				break;
			}
	}
	if (arch->e_machine == EM_PPC64 && type == R_PPC64_REL24 &&
	    ppc64_word_after_call(tsh, bytes, r->r_offset) != PPC64_NOP)
		found |= KLP_RULE_BIT(RULE_PPC64_CALL_NOP);
	if (kind == TARGET_LOST)
		found |= KLP_RULE_BIT(RULE_LOST_SECTION);
	if (module && kind == TARGET_INIT)
		found |= KLP_RULE_BIT(RULE_INIT_SECTION);
	if (module && kind == TARGET_SPECIAL)
		found |= KLP_RULE_BIT(RULE_SPECIAL_SECTION);
	return found;
}

void klp_check_reloc(struct klp_checker *c, size_t target,
		     const Elf64_Rela *r, const char *lp_obj)
{
	const struct elf_file *ef = c->ef;
	const struct elf_sec *t = &ef->secs[target];
	uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
	const struct klp_reloc_type *rt =
		klp_arch_reloc_cached(c->arch, c->rt_by_type, type);
	const unsigned char *bytes = NULL;
	struct lazy_loc loc;	/* not "= { ... }": that clears buf every time */
	const char *sym;
	char tname[64], num[16];
	uint64_t found;

	/* An empty section's offset was never checked: no bytes, and
	 * every relocation into it lies past its end.  */
	if (!elf_sec_is_new(ef, t) && t->sh->sh_type != SHT_NOBITS &&
	    t->orig_size > 0)
		bytes = (const unsigned char *)ef->map + t->orig_offset;
	found = klp_reloc_problems(c->arch, rt, t->sh, bytes,
				   target_kind(c, target), r, lp_obj != NULL);
	if (!found)
		return;

	loc.c = c;
	loc.target = target;
	loc.off = r->r_offset;
	loc.done = false;
	sym = elf_sym_name(ef, ELF64_R_SYM(r->r_info));
	/* "relocation type 255", not "... type type 255" */
	snprintf(num, sizeof(num), "%u", type);
	if (found & KLP_RULE_BIT(RULE_RELOC_TYPE))
		klp_report_ktext(c, RULE_RELOC_TYPE, lazy_where(&loc), sym,
				 klp_arch_reloc_refusal(c->arch, type), num,
				 "relocation type %s is not supported by the kernel's apply_relocate_add() on %s",
				 rt ? rt->name : num, c->arch->name);
	if (found & KLP_RULE_BIT(RULE_RELOC_PAIR))
		klp_report(c, RULE_RELOC_PAIR, lazy_where(&loc), sym,
			   "%s cannot be a klp relocation: its PCREL_LO12 partner names a local label and must stay behind, while the kernel looks for the pair in one relocation section; take the symbol's address through an exported pointer or a call instead",
			   klp_reloc_type_name(c->arch, type, tname, sizeof(tname)));
	if (found & KLP_RULE_BIT(RULE_RELOC_OFFSET))
		klp_report(c, RULE_RELOC_OFFSET, lazy_where(&loc), sym,
			   "relocation offset is past the end of the section (size 0x%" PRIx64 ")",
			   t->sh->sh_size);
	if (found & KLP_RULE_BIT(RULE_NONZERO))
		klp_report_ktext(c, RULE_NONZERO, lazy_where(&loc), sym, NULL,
				 num, "the relocated location holds a nonzero value, so the kernel would refuse %s; relocations with an addend must leave zeros there",
				 klp_reloc_type_name(c->arch, type, tname,
						     sizeof(tname)));
	if (found & KLP_RULE_BIT(RULE_PPC64_CALL_NOP)) {
		uint64_t off = r->r_offset;
		char word[16];

		snprintf(word, sizeof(word), "%08" PRIx32,
			 ppc64_word_after_call(t->sh, bytes, off));
		klp_report_ktext(c, RULE_PPC64_CALL_NOP, lazy_where(&loc), sym,
				 NULL, word,
				 "a call to a klp symbol must be followed by a nop, which the kernel turns into the reload of r2 (the TOC pointer) after the call; this one is followed by %s",
				 off + 8 <= t->sh->sh_size ? word : "the end of the section");
	}
	if (found & KLP_RULE_BIT(RULE_LOST_SECTION))
		klp_report(c, RULE_LOST_SECTION, lazy_where(&loc), sym,
			   "section '%s' is never relocated by the kernel's module loader, so this klp relocation would be lost",
			   t->name);
	if (found & KLP_RULE_BIT(RULE_INIT_SECTION))
		klp_report(c, RULE_INIT_SECTION, lazy_where(&loc), sym,
			   "a klp relocation for module '%s' in init section '%s' would be applied after the section is freed; move the reference out of __init code",
			   lp_obj, t->name);
	if (found & KLP_RULE_BIT(RULE_SPECIAL_SECTION))
		klp_report(c, RULE_SPECIAL_SECTION, lazy_where(&loc), sym,
			   "a klp relocation for module '%s' in special section '%s', which the livepatch's own load processes before the relocation is applied; reference an exported or vmlinux symbol here instead",
			   lp_obj, t->name);
}

/* ------------------------------------------------------------------ */
/* The whole module                                                   */
/* ------------------------------------------------------------------ */

static bool is_klp_sym_name(const char *name)
{
	return strncmp(name, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1) == 0 &&
	       !klp_is_prefixed(name);
}

static bool is_klp_section(const struct elf_sec *s)
{
	return (s->sh->sh_flags & SHF_RELA_LIVEPATCH) ||
	       strncmp(s->name, KLP_RELA_PREFIX,
		       sizeof(KLP_RELA_PREFIX) - 1) == 0;
}

/*
 * Parse a klp symbol name with the kernel's own format; return its object
 * name in OBJ (KLP_OBJNAME_MAX + 1 bytes), or false.  *TOO_LONG: it
 * parses, but is longer than kallsyms gives back (KSYM_NAME_LEN - 1).
 */
static bool parse_klp_sym(const char *name, char *obj, bool *too_long)
{
	char sym[KLP_SYMNAME_MAX + 1];
	size_t olen, slen;
	const char *p;
	int n = -1;

	/* klp_resolve_symbols(): the widths are MODULE_NAME_LEN - 1 and
	 * KSYM_NAME_LEN - 1, of the fields.  */
	*too_long = strlen(name) > KLP_SYMNAME_MAX;
	/* What the converter writes (and most names): both fields within
	 * their widths, then only digits, matches; decided without sscanf,
	 * which costs a microsecond a name.  Anything else goes to it.  */
	if (strncmp(name, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1) != 0)
		return false;	/* sscanf()'s literal prefix fails too */
	p = name + sizeof(KLP_SYM_PREFIX) - 1;
	olen = strcspn(p, ".");
	slen = p[olen] == '.' ? strcspn(p + olen + 1, ",") : 0;
	if (olen >= 1 && olen <= KLP_OBJNAME_MAX && slen >= 1 &&
	    slen < sizeof(sym) && p[olen + 1 + slen] == ',' &&
	    p[olen + 2 + slen] != '\0' &&
	    strspn(p + olen + 2 + slen, "0123456789") ==
	    strlen(p + olen + 2 + slen)) {
		memcpy(obj, p, olen);
		obj[olen] = '\0';
		return true;
	}
	/* The kernel's own vsscanf() (lib/vsprintf.c) reads %lu as white
	 * space (its isspace(): 9-13, 32 and 160) and then a digit: unlike
	 * the C library's, no sign.  */
	if (sscanf(name, KLP_SYM_PREFIX "%55[^.].%511[^,],%n", obj, sym,
		   &n) != 2 || n < 0)
		return false;
	for (p = name + n; (*p >= 9 && *p <= 13) || *p == ' ' ||
			   (unsigned char)*p == 160; p++)
		;
	return *p >= '0' && *p <= '9';
}

bool klp_sym_name_parses(const char *name)
{
	char obj[KLP_OBJNAME_MAX + 1];
	bool too_long;

	return parse_klp_sym(name, obj, &too_long);
}

/*
 * klp_objname_problem() of object name OBJ (LEN bytes, at most
 * KLP_OBJNAME_MAX), and in *LIKE_VMLINUX klp_objname_like_vmlinux(),
 * remembered: a module names a handful of objects, in up to hundreds of
 * thousands of klp sections and symbols.
 */
static const char *objname_verdict(struct klp_checker *c, const char *obj,
				   size_t len, bool *like_vmlinux)
{
	const size_t cap = sizeof(c->objnames) / sizeof(c->objnames[0]);
	struct klp_objname_memo m = { .len = len };

	for (size_t i = 0; i < c->nobjnames; i++) {
		const struct klp_objname_memo *seen = &c->objnames[i];

		if (seen->len == len && memcmp(seen->name, obj, len) == 0) {
			*like_vmlinux = seen->like_vmlinux;
			return seen->problem;
		}
	}
	m.problem = klp_objname_problem(obj, len);
	m.like_vmlinux = !m.problem && klp_objname_like_vmlinux(obj, len);
	if (c->nobjnames < cap && len <= sizeof(m.name)) {
		memcpy(m.name, obj, len);
		c->objnames[c->nobjnames++] = m;
	}
	*like_vmlinux = m.like_vmlinux;
	return m.problem;
}

/*
 * A typo of vmlinux in an object name builds, converts and loads, and the
 * relocations wait for a module that never comes: warn, once per name.
 * Callers ask objname_verdict() first.
 */
static void check_like_vmlinux(struct klp_checker *c, const char *obj,
			       const char *loc, const char *sym)
{
	for (size_t i = 0; i < c->nlike_vmlinux; i++)
		if (strcmp(c->like_vmlinux[i], obj) == 0)
			return;
	c->like_vmlinux = xrealloc(c->like_vmlinux, (c->nlike_vmlinux + 1) *
				   sizeof(*c->like_vmlinux));
	c->like_vmlinux[c->nlike_vmlinux++] = xstrdup(obj);
	klp_report(c, RULE_OBJECT_LIKE_VMLINUX, loc, sym,
		   "object '%s' is not vmlinux, only close to it; no module is so named, so klp relocations for it would wait for ever: did you mean vmlinux?",
		   obj);
}

/* klp_used bits: a klp relocation uses the symbol; one in a section the
 * kernel may apply does.  */
enum { KLP_USED = 1, KLP_USED_APPLIED = 2 };

/*
 * The length of the object in klp relocation section name NAME,
 * .klp.rela.<objname>.<section>: the text up to the next '.', uncut; 0
 * without the prefix, where the kernel's sscanf(".klp.rela.%55[^.]")
 * matches nothing either.  Parsed by hand: this runs once per section,
 * for every conversion.
 */
static size_t klp_section_objlen(const char *name)
{
	if (strncmp(name, KLP_RELA_PREFIX, sizeof(KLP_RELA_PREFIX) - 1) != 0)
		return 0;
	return strcspn(name + sizeof(KLP_RELA_PREFIX) - 1, ".");
}

/*
 * May the kernel apply klp relocation section NAME?  For each object that
 * loads, klp_apply_section_relocs() reads the section's object with
 * sscanf(".klp.rela.%55[^.]") and goes on only if it is that object's
 * name: vmlinux or a module's, and no module is named otherwise.
 */
static bool klp_section_applied(const char *name)
{
	size_t len = klp_section_objlen(name);

	if (len > KLP_OBJNAME_MAX)
		len = KLP_OBJNAME_MAX;
	return len > 0 &&
	       !klp_objname_problem(name + sizeof(KLP_RELA_PREFIX) - 1, len);
}

/*
 * Which relocations of sections flagged SHF_RELA_LIVEPATCH use symbol
 * SYMIDX (KLP_USED_* bits)?  klp_resolve_symbols() checks st_shndx and
 * parses the name of those symbols only, and simplify_symbols() lets
 * every SHN_LIVEPATCH symbol be: to the kernel, a klp symbol no klp
 * relocation uses is nothing.  Found on first use: only a module with a
 * broken klp symbol asks.  A flagged section this check cannot read (no
 * SHT_RELA, a cut entry: reported on its own) may use any symbol.
 */
static unsigned int klp_uses(struct klp_checker *c, size_t symidx)
{
	struct elf_file *ef = c->ef;

	if (!c->klp_used) {
		c->klp_used = xcalloc(ef->nsyms, 1);
		for (size_t i = 1; i < ef->nsecs; i++) {
			const Elf64_Shdr *sh = ef->secs[i].sh;
			struct elf_rela_view v;
			unsigned char use;

			if (!(sh->sh_flags & SHF_RELA_LIVEPATCH))
				continue;
			if (sh->sh_type != SHT_RELA ||
			    sh->sh_size % sizeof(Elf64_Rela) ||
			    !elf_sec_relas(ef, i, &v)) {
				c->klp_used_all = true;
				break;
			}
			use = KLP_USED | (klp_section_applied(ef->secs[i].name) ?
					  KLP_USED_APPLIED : 0);
			for (size_t k = 0; k < v.n; k++) {
				size_t symi = ELF64_R_SYM(v.rela[k].r_info);

				if (symi < ef->nsyms && elf_rela_counts(&v, k))
					c->klp_used[symi] |= use;
			}
		}
	}
	return c->klp_used_all ? KLP_USED | KLP_USED_APPLIED
			       : c->klp_used[symidx];
}

static bool used_by_klp_relocation(struct klp_checker *c, size_t symidx)
{
	return klp_uses(c, symidx) & KLP_USED;
}

static void check_symbols(struct klp_checker *c)
{
	struct elf_file *ef = c->ef;

	c->sym_obj = xcalloc(ef->nsyms ? ef->nsyms : 1, sizeof(*c->sym_obj));
	for (size_t i = 1; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		const char *name = elf_sym_name(ef, i);
		char obj[KLP_OBJNAME_MAX + 1], loc[64];
		const char *why;
		bool too_long, like;

		if (sym->st_shndx != SHN_LIVEPATCH && name[0] != '.')
			continue;	/* the common case: nothing klp */
		if (klp_is_prefixed(name) && sym->st_shndx != SHN_LIVEPATCH) {
			if (sym->st_shndx != SHN_UNDEF)
				klp_report(c, RULE_PREFIX_DEFINED,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "is defined (st_shndx %u), but a klp_reloc.h name must stay undefined: remove the definition or the KLP_RELOC_SYMBOL annotation",
					   sym->st_shndx);
			else
				klp_report(c, RULE_LEFTOVER,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "a klp_reloc.h name was not converted: run klp-convert-mini on the module after its final link");
			continue;
		}
		if (sym->st_shndx == SHN_UNDEF) {
			/* simplify_symbols() fails on it before livepatch
			 * is asked, unless it is weak: then it stays 0, and
			 * a klp relocation using it is livepatch's to
			 * refuse.  */
			if (!is_klp_sym_name(name))
				continue;
			if (ELF64_ST_BIND(sym->st_info) != STB_WEAK)
				klp_report(c, RULE_SYM_UNDEF,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "a klp symbol name, but the symbol is SHN_UNDEF, not SHN_LIVEPATCH (0x%x), so the module loader looks it up",
					   SHN_LIVEPATCH);
			else if (used_by_klp_relocation(c, i))
				klp_report_ktext(c, RULE_SYM_UNDEF,
						 klp_symtab_loc(loc, sizeof(loc), i), name,
						 klp_rules[RULE_SYM_SHNDX].kernel, NULL,
						 "a klp symbol name, but the symbol is a weak SHN_UNDEF, not SHN_LIVEPATCH (0x%x), so the module loader looks it up and, finding nothing, leaves it 0",
						 SHN_LIVEPATCH);
			else
				klp_report_ktext(c, RULE_SYM_UNUSED,
						 klp_symtab_loc(loc, sizeof(loc), i), name,
						 "none: no klp relocation uses it, and the module loader leaves a weak undefined symbol it cannot find 0",
						 NULL,
						 "a klp symbol name, but the symbol is a weak SHN_UNDEF, not SHN_LIVEPATCH (0x%x), and no klp relocation uses it",
						 SHN_LIVEPATCH);
			continue;
		}
		if (sym->st_shndx != SHN_LIVEPATCH) {
			if (!is_klp_sym_name(name))
				continue;
			if (used_by_klp_relocation(c, i))
				klp_report(c, RULE_SYM_SHNDX,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "a klp symbol name, but its section index is %u, not SHN_LIVEPATCH (0x%x)",
					   sym->st_shndx, SHN_LIVEPATCH);
			else
				klp_report_ktext(c, RULE_SYM_UNUSED,
						 klp_symtab_loc(loc, sizeof(loc), i), name,
						 "none: no klp relocation uses it, so the kernel takes it for an ordinary symbol of its section",
						 NULL,
						 "a klp symbol name, but its section index is %u, not SHN_LIVEPATCH (0x%x), and no klp relocation uses it",
						 sym->st_shndx, SHN_LIVEPATCH);
			continue;
		}
		if (!parse_klp_sym(name, obj, &too_long)) {
			c->sym_obj[i] = SYM_OBJ_BAD;
			if (used_by_klp_relocation(c, i))
				klp_report(c, RULE_SYM_NAME,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "an SHN_LIVEPATCH symbol must be named .klp.sym.<objname>.<symbol>,<sympos> (objname at most %d characters, symbol at most %d)",
					   KLP_OBJNAME_MAX, KLP_SYMNAME_MAX);
			else
				klp_report(c, RULE_SYM_UNUSED,
					   klp_symtab_loc(loc, sizeof(loc), i), name,
					   "an SHN_LIVEPATCH symbol must be named .klp.sym.<objname>.<symbol>,<sympos> (objname at most %d characters, symbol at most %d), and no klp relocation uses this one",
					   KLP_OBJNAME_MAX, KLP_SYMNAME_MAX);
			continue;
		}
		if (too_long) {
			c->sym_obj[i] = SYM_OBJ_BAD;
			klp_report(c, RULE_SYM_TOO_LONG,
				   klp_symtab_loc(loc, sizeof(loc), i), name,
				   "the name is %zu bytes, longer than %d (KSYM_NAME_LEN - 1)",
				   strlen(name), KLP_SYMNAME_MAX);
			continue;
		}
		why = objname_verdict(c, obj, strlen(obj), &like);
		if (why) {
			/* A klp relocation the kernel applies makes
			 * klp_find_object_symbol() look the symbol up in
			 * that object, in vain: the load fails.  Others
			 * never look it up.  */
			bool applied = klp_uses(c, i) & KLP_USED_APPLIED;
			const char *s = name + sizeof(KLP_SYM_PREFIX) +
					strlen(obj);	/* past "<obj>." */
			char bare[KLP_SYMNAME_MAX + 1];

			snprintf(bare, sizeof(bare), "%.*s",
				 (int)strcspn(s, ","), s);
			klp_report_ktext(c, RULE_OBJECT_NAME,
				klp_symtab_loc(loc, sizeof(loc), i), name,
				applied ? KLP_TEXT_NOT_FOUND : NULL, bare,
				"symbol object name '%s' %s", obj, why);
		} else if (like)
			check_like_vmlinux(c, obj,
					   klp_symtab_loc(loc, sizeof(loc), i),
					   name);
		c->sym_obj[i] = strcmp(obj, KLP_VMLINUX) == 0 ? SYM_OBJ_VMLINUX
							      : SYM_OBJ_MODULE;
	}
}

/*
 * Does simplify_symbols() get past SHN_UNDEF symbol SYMI, which is no klp
 * symbol?  It skips symbol 0, lets a weak symbol or one it ignores
 * (_GLOBAL_OFFSET_TABLE_ on x86, .TOC. that ppc64 made SHN_ABS) be,
 * resolves an exported one, and fails the load on any other.  *KNOWN is
 * false when only --symvers could tell whether something exports it.
 */
static bool loader_gets_past(const struct klp_checker *c, size_t symi,
			     bool *known)
{
	const struct elf_file *ef = c->ef;
	const char *name = elf_sym_name(ef, symi);

	*known = true;
	if (symi == 0 || ELF64_ST_BIND(ef->syms[symi].st_info) == STB_WEAK ||
	    (ef->ehdr.e_machine == EM_X86_64 &&
	     strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) ||
	    (ef->ehdr.e_machine == EM_PPC64 && strcmp(name, ".TOC.") == 0))
		return true;
	/* No EXPORT_SYMBOL() makes a name like these. */
	if (strncmp(name, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1) == 0)
		return false;
	if (c->symvers)
		return klp_symvers_has(c->symvers,
				       undef_name(c, RULE_SYM_UNDEF, name));
	*known = false;
	return false;
}

/*
 * What the kernel prints for a klp relocation against SHN_UNDEF symbol
 * SYMI, which is no klp symbol: what simplify_symbols() lets through
 * reaches klp_resolve_symbols(), which refuses it as no SHN_LIVEPATCH
 * symbol; the rest stop the load in simplify_symbols().  Both texts when
 * only --symvers could tell which.
 */
static const char *undef_reloc_text(struct klp_checker *c, size_t symi,
				    char *buf, size_t len)
{
	/* As klp_resolve_symbols() and simplify_symbols() name it. */
	const char *name = undef_name(c, RULE_SYM_UNDEF,
				      elf_sym_name(c->ef, symi));
	bool known, past = loader_gets_past(c, symi, &known);

	if (known)
		snprintf(buf, len, "%s %s %s",
			 past ? "symbol" : "...: Unknown symbol", name,
			 past ? "is not marked as a livepatch symbol" : "(err -2)");
	else
		snprintf(buf, len, "symbol %s is not marked as a livepatch symbol (or, if nothing exports it: ...: Unknown symbol %s (err -2))",
			 name, name);
	return buf;
}

/* "[IDX] NAME", formatted only for a report. */
static const char *sec_loc(const struct elf_file *ef, size_t idx, char *buf,
			   size_t len)
{
	snprintf(buf, len, "[%zu] %s", idx, ef->secs[idx].name);
	return buf;
}

static void check_klp_section(struct klp_checker *c, size_t idx)
{
	struct elf_file *ef = c->ef;
	const struct elf_sec *s = &ef->secs[idx];
	const Elf64_Shdr *sh = s->sh;
	char obj[KLP_OBJNAME_MAX + 1], loc[512];
	struct elf_rela_view v;
	const char *why;
	size_t objlen, target = sh->sh_info;
	bool sec_vmlinux, like;

	/* apply_relocations() tests SHF_RELA_LIVEPATCH before the type;
	 * without it, only the type counts.  */
	if (sh->sh_type != SHT_RELA) {
		klp_report_ktext(c, RULE_SEC_TYPE, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
				 sh->sh_flags & SHF_RELA_LIVEPATCH ? NULL :
				 sh->sh_type == SHT_REL ? klp_rules[RULE_REL].kernel :
				 "none: with neither SHF_RELA_LIVEPATCH nor SHT_RELA, the kernel does not apply it",
				 NULL,
				 "a klp relocation section must be SHT_RELA (type is %u): readelf, libelf and this check do not read its entries as relocations, so none of them is checked",
				 sh->sh_type);
		return;
	}
	if (!(sh->sh_flags & SHF_RELA_LIVEPATCH) || !(sh->sh_flags & SHF_ALLOC))
		klp_report(c, RULE_SEC_FLAGS, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "flags 0x%" PRIx64 " lack %s: a klp relocation section needs SHF_ALLOC|SHF_RELA_LIVEPATCH",
			   sh->sh_flags,
			   !(sh->sh_flags & SHF_RELA_LIVEPATCH) ?
			   "SHF_RELA_LIVEPATCH" : "SHF_ALLOC");
	/* The kernel reads sh_size / sizeof(Elf_Rela) entries; it never
	 * reads sh_entsize or sh_link.  Other tools do: warnings, and the
	 * entries are checked as the kernel reads them.  */
	if (sh->sh_size % sizeof(Elf64_Rela)) {
		klp_report(c, RULE_SEC_SIZE, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "size 0x%" PRIx64 " is not a multiple of %zu (sizeof(Elf64_Rela)): its last entry is cut short",
			   sh->sh_size, sizeof(Elf64_Rela));
		return;
	}
	if (sh->sh_entsize != sizeof(Elf64_Rela))
		klp_report(c, RULE_SEC_ENTSIZE, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "entry size %" PRIu64 ", not %zu (sizeof(Elf64_Rela)): objtool and kpatch count entries as sh_size / sh_entsize, and readelf and eu-elflint complain; set it to %zu",
			   sh->sh_entsize, sizeof(Elf64_Rela), sizeof(Elf64_Rela));
	if (ef->symtab_idx && sh->sh_link != ef->symtab_idx)
		klp_report(c, RULE_SEC_LINK, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "sh_link %u is not the symbol table: readelf and libelf-based tools take the relocations' symbols from the section sh_link names; set it to %zu",
			   sh->sh_link, ef->symtab_idx);
	if (target == 0 || target >= ef->nsecs || target == idx ||
	    !elf_sec_is_alloc(&ef->secs[target]) ||
	    ef->secs[target].sh->sh_type == SHT_RELA ||
	    ef->secs[target].sh->sh_type == SHT_REL) {
		klp_report(c, RULE_SEC_TARGET, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "sh_info %zu is not an allocated section that relocations can apply to",
			   target);
		return;
	}
	/* klp_apply_section_relocs() takes the object with
	 * sscanf(".klp.rela.%55[^.]"): one to 55 characters up to a '.'.
	 * The name must also go on with that '.', or the object the kernel
	 * reads is not the one meant.  */
	objlen = klp_section_objlen(s->name);
	if (objlen == 0) {	/* the kernel's sscanf() matches nothing */
		klp_report_ktext(c, RULE_SEC_NAME, sec_loc(ef, idx, loc, sizeof(loc)),
			    NULL, NULL, s->name,
			    "the name must be .klp.rela.<objname>.<section>");
		return;
	}
	if (objlen > KLP_OBJNAME_MAX ||
	    s->name[sizeof(KLP_RELA_PREFIX) - 1 + objlen] != '.') {
		int klen = objlen > KLP_OBJNAME_MAX ? KLP_OBJNAME_MAX : (int)objlen;

		snprintf(obj, sizeof(obj), "%.*s", klen,
			 s->name + sizeof(KLP_RELA_PREFIX) - 1);
		if (objlen > KLP_OBJNAME_MAX)
			klp_report_ktext(c, RULE_SEC_OBJECT, sec_loc(ef, idx, loc, sizeof(loc)),
				   NULL, NULL, obj,
				   "the object name is longer than the %d characters the kernel reads: .klp.rela.<objname>.<section>",
				   KLP_OBJNAME_MAX);
		else
			klp_report_ktext(c, RULE_SEC_OBJECT, sec_loc(ef, idx, loc, sizeof(loc)),
				   NULL, NULL, obj,
				   "no '.<section>' follows the object name, so the kernel takes all of it as the object: a klp relocation section is .klp.rela.<objname>.<section>, and where the '.' between the two is missing, its relocations go to the wrong object");
		return;
	}
	memcpy(obj, s->name + sizeof(KLP_RELA_PREFIX) - 1, objlen);
	obj[objlen] = '\0';
	why = objname_verdict(c, obj, objlen, &like);
	if (why) {
		klp_report(c, RULE_OBJECT_NAME, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "section object name '%s' %s", obj, why);
		return;
	}
	/* The location is formatted only for a warning: 187,500 sections
	 * on a big module.  */
	if (like)
		check_like_vmlinux(c, obj, sec_loc(ef, idx, loc, sizeof(loc)),
				   NULL);
	if (!(ef->secs[target].sh->sh_flags & (SHF_WRITE | SHF_EXECINSTR)))
		klp_report(c, RULE_RO_TARGET, sec_loc(ef, idx, loc, sizeof(loc)), NULL,
			   "klp relocations into read-only section '%s'",
			   ef->secs[target].name);

	sec_vmlinux = strcmp(obj, KLP_VMLINUX) == 0;
	if (!elf_sec_relas(ef, idx, &v))
		return;
	for (size_t i = 0; i < v.n; i++) {
		const Elf64_Rela *rela = v.rela;
		size_t symi = ELF64_R_SYM(rela[i].r_info);

		if (!elf_rela_counts(&v, i))
			continue;
		if (symi >= ef->nsyms) {
			klp_report(c, RULE_SYM_INDEX,
				   klp_where(c, target, rela[i].r_offset, loc,
					     sizeof(loc)), NULL,
				   "symbol index %zu is past the end of .symtab", symi);
			continue;
		}
		/* Names only for reports: the symbols are 24 bytes each,
		 * scattered, and most relocations pass.  */
		if (c->sym_obj[symi] == SYM_OBJ_NONE) {
			bool undef = ef->syms[symi].st_shndx == SHN_UNDEF;
			char ktext[1536];

			/* Symbol 0 is no symbol: no name to show. */
			klp_report_ktext(c, undef ? RULE_SYM_UNDEF : RULE_SYM_SHNDX,
					 klp_where(c, target, rela[i].r_offset, loc,
						   sizeof(loc)),
					 symi ? elf_sym_name(ef, symi) : NULL,
					 undef ? "%s" : NULL,
					 undef ? undef_reloc_text(c, symi, ktext,
								  sizeof(ktext))
					       : NULL,
					 "%sa klp relocation must reference an SHN_LIVEPATCH symbol",
					 symi ? "" : "symbol index 0: ");
			continue;
		}
		if (!sec_vmlinux && c->sym_obj[symi] == SYM_OBJ_VMLINUX) {
			const char *name = elf_sym_name(ef, symi);
			char bare[KLP_SYMNAME_MAX + 1];

			/* The kernel names the symbol as its sscanf read
			 * it: .klp.sym.vmlinux.<this>,<sympos> */
			name += sizeof(KLP_SYM_PREFIX KLP_VMLINUX ".") - 1;
			snprintf(bare, sizeof(bare), "%.*s",
				 (int)strcspn(name, ","), name);
			klp_report_ktext(c, RULE_VMLINUX_FROM_MODULE,
				   klp_where(c, target, rela[i].r_offset, loc,
					     sizeof(loc)), elf_sym_name(ef, symi), NULL,
				   bare,
				   "module-specific section for '%s' references a vmlinux symbol; use a .klp.rela.vmlinux.* section for it",
				   obj);
		}
		if (!c->relocs_checked)
			klp_check_reloc(c, target, &rela[i],
					sec_vmlinux ? NULL : obj);
	}
}

/* Ordinary relocations are applied at load, before livepatch resolves
 * anything: they may not use SHN_LIVEPATCH symbols.  */
static void check_ordinary_section(struct klp_checker *c, size_t idx)
{
	struct elf_file *ef = c->ef;
	const struct elf_sec *s = &ef->secs[idx];
	struct elf_rela_view v;
	size_t target = s->sh->sh_info;
	char loc[512];

	if (target == 0 || target >= ef->nsecs ||
	    !elf_sec_is_alloc(&ef->secs[target]) ||
	    s->sh->sh_link != ef->symtab_idx || !ef->symtab_idx)
		return;
	if (s->sh->sh_type == SHT_REL) {
		klp_report(c, RULE_REL, klp_where(c, target, 0, loc, sizeof(loc)),
			   NULL, "REL relocation section [%zu] %s: livepatch modules need RELA relocations",
			   idx, s->name);
		return;
	}
	if (s->sh->sh_entsize != sizeof(Elf64_Rela) ||
	    s->sh->sh_size % sizeof(Elf64_Rela))
		return;
	if (!elf_sec_relas(ef, idx, &v))
		return;
	for (size_t i = 0; i < v.n; i++) {
		const Elf64_Rela *rela = v.rela;
		size_t symi = ELF64_R_SYM(rela[i].r_info);

		if (!elf_rela_counts(&v, i) || symi >= ef->nsyms ||
		    c->sym_obj[symi] == SYM_OBJ_NONE)
			continue;
		klp_report(c, RULE_ORDINARY_TO_KLP,
			   klp_where(c, target, rela[i].r_offset, loc, sizeof(loc)),
			   elf_sym_name(ef, symi),
			   "ordinary relocation section [%zu] %s references an SHN_LIVEPATCH symbol; move the relocation to a .klp.rela section",
			   idx, s->name);
	}
}

/* The first allocated-section relocation against SYMIDX, for a message. */
static bool first_reference(struct klp_checker *c, size_t symidx,
			    size_t *target, uint64_t *off)
{
	struct elf_file *ef = c->ef;

	for (size_t i = 1; i < ef->nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];
		struct elf_rela_view v;

		if (s->sh->sh_type != SHT_RELA || s->sh->sh_info == 0 ||
		    s->sh->sh_info >= ef->nsecs ||
		    s->sh->sh_entsize != sizeof(Elf64_Rela) ||
		    !elf_sec_is_alloc(&ef->secs[s->sh->sh_info]))
			continue;
		if (!elf_sec_relas(ef, i, &v))
			continue;
		for (size_t k = 0; k < v.n; k++) {
			if (ELF64_R_SYM(v.rela[k].r_info) == symidx &&
			    elf_rela_counts(&v, k)) {
				*target = s->sh->sh_info;
				*off = v.rela[k].r_offset;
				return true;
			}
		}
	}
	return false;
}

bool klp_export_missing(uint16_t e_machine, const Elf64_Sym *sym,
			const char *name, const struct klp_symvers *sv)
{
	return sym->st_shndx == SHN_UNDEF && !klp_is_prefixed(name) &&
	       ELF64_ST_BIND(sym->st_info) != STB_WEAK && *name &&
	       strcmp(name, ".TOC.") != 0 &&	/* ppc64: the loader's */
	       !(e_machine == EM_X86_64 &&
		 /* ignore_undef_symbol(): left by GNU as < 2.37 */
		 strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) &&
	       !klp_symvers_has(sv, name);
}

void klp_check_exports(struct klp_checker *c)
{
	struct elf_file *ef = c->ef;

	for (size_t i = 1; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		const char *name = elf_sym_name(ef, i);
		char loc[512];
		size_t target;
		uint64_t off;

		if (!klp_export_missing(ef->ehdr.e_machine, sym, name,
					c->symvers))
			continue;
		if (first_reference(c, i, &target, &off))
			klp_where(c, target, off, loc, sizeof(loc));
		else
			klp_symtab_loc(loc, sizeof(loc), i);
		klp_report(c, RULE_NOT_EXPORTED, loc, name,
			   "is not exported by the kernel or a dependency; annotate it with KLP_RELOC_SYMBOL(obj, %s, pos)",
			   name);
	}
}

/*
 * The module loader reads the first allocated section named .modinfo and
 * ignores the others (find_sec() in kernel/module/main.c: "Alloc bit
 * cleared means ignore it").
 */
enum klp_modinfo klp_modinfo(struct elf_file *ef)
{
	enum klp_modinfo read = MODINFO_NO;	/* what the loader reads */
	bool found = false, ignored = false;

	for (size_t i = 1; i < ef->nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];
		enum klp_livepatch_tag tag = KLP_TAG_NONE;
		struct elf_data data = { 0 };

		if (elf_sec_is_new(ef, s) || strcmp(s->name, ".modinfo") != 0)
			continue;
		if (s->sh->sh_type == SHT_PROGBITS)
			data = elf_sec_data(ef, i);
		if (data.d_buf)
			tag = klp_modinfo_livepatch(data.d_buf, data.d_size);
		if (elf_sec_is_alloc(s) && !found) {
			found = true;
			read = tag == KLP_TAG_Y ? MODINFO_LIVEPATCH :
			       tag == KLP_TAG_OTHER ? MODINFO_OTHER_VALUE :
						      MODINFO_NO;
		} else {
			/* only to say why, when the one read lacks it */
			ignored = ignored || tag != KLP_TAG_NONE;
		}
	}
	return read == MODINFO_NO && ignored ? MODINFO_IGNORED : read;
}

const char *klp_modinfo_fix(enum klp_modinfo m)
{
	switch (m) {
	case MODINFO_IGNORED:
		return "the .modinfo that says livepatch=Y is not allocated (SHF_ALLOC), and the module loader ignores such a section; give it the \"a\" flag";
	case MODINFO_OTHER_VALUE:
		return ".modinfo has the livepatch tag, but not livepatch=Y; write MODULE_INFO(livepatch, \"Y\")";
	default:
		return ".modinfo does not say livepatch=Y; add MODULE_INFO(livepatch, \"Y\")";
	}
}

bool klp_has_content(const struct elf_file *ef)
{
	for (size_t i = 1; i < ef->nsecs; i++)
		if (is_klp_section(&ef->secs[i]))
			return true;
	for (size_t i = 1; i < ef->nsyms; i++) {
		const char *name = elf_sym_name(ef, i);

		if (ef->syms[i].st_shndx == SHN_LIVEPATCH ||
		    strncmp(name, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1) == 0)
			return true;
	}
	return false;
}

size_t klp_check_module(struct klp_checker *c)
{
	struct elf_file *ef = c->ef;
	size_t errors = c->d->errors;

	enum klp_modinfo modinfo = klp_modinfo(ef);

	if (modinfo == MODINFO_OTHER_VALUE)
		klp_report(c, RULE_MODINFO_VALUE, NULL, NULL, "%s",
			   klp_modinfo_fix(modinfo));
	else if (modinfo != MODINFO_LIVEPATCH) {
		if (klp_has_content(ef))
			klp_report(c, RULE_MODINFO, NULL, NULL,
				   "has livepatch symbols or sections but %s",
				   klp_modinfo_fix(modinfo));
		else
			klp_report(c, RULE_NOT_LIVEPATCH, NULL, NULL,
				   "not a livepatch module: no livepatch=Y in .modinfo and no klp relocations");
		return c->d->errors - errors;
	}
	if (!klp_check_arch(c))
		return c->d->errors - errors;

	check_symbols(c);
	for (size_t i = 1; i < ef->nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (is_klp_section(s))
			check_klp_section(c, i);
		else if (s->sh->sh_type == SHT_RELA || s->sh->sh_type == SHT_REL)
			check_ordinary_section(c, i);
	}
	if (c->symvers)
		klp_check_exports(c);
	return c->d->errors - errors;
}
