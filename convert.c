// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * convert.c - from klp_reloc.h's prefixed symbols to klp relocations.
 *
 * Where it runs: after the final link of a livepatch module,
 *
 *	cc -c + ld -r + modpost + ld -r  ->  foo.ko  ->  klp-convert-mini  ->  foo.ko
 *
 * and it must run last, because linkers keep neither SHN_LIVEPATCH nor
 * SHF_RELA_LIVEPATCH.
 *
 * What goes in: undefined symbols named
 *	.klp.sym.rela.<lp_obj_name>.<sym_obj_name>.<sym_name>.<sympos>
 * (or with ",<sympos>"), and relocations against them in ordinary
 * relocation sections.
 *
 * What comes out, for each such symbol:
 *  1. it is renamed .klp.sym.<sym_obj_name>.<sym_name>,<sympos> and gets
 *     st_shndx = SHN_LIVEPATCH, keeping its index, binding and type;
 *  2. each relocation against it whose target section is allocated moves,
 *     in order and unchanged, to .klp.rela.<lp_obj_name>.<target name>,
 *     one section per (lp_obj_name, target), appended after all others;
 *  3. relocations from non-allocated sections (.debug_*) stay where they
 *     are: the kernel never applies them.
 *
 * Everything is checked before anything changes; every problem is
 * reported, and one problem means no output at all.
 */
#define _GNU_SOURCE
#include "convert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "check.h"

/* A prefixed symbol of the input. */
struct klp_sym {
	size_t symidx;
	Elf64_Word new_name;	/* in the new .strtab: its converted name,
				 * .klp.sym.<sym_obj_name>.<sym_name>,<sympos> */
};

/* A klp relocation section being built (or extended). */
struct klp_sec {
	uint32_t lp_obj;
	uint32_t target;	/* section the relocations apply to */
	uint32_t idx;		/* section index (assigned when created) */
	uint32_t src;		/* first relocation section moved from */
	uint32_t next;		/* 1-based index of the next for the same target */
	bool exists;		/* found in the input: extend it */
	bool copy;		/* entries copied to plan.moved, see below */
	size_t n;		/* relocations moved here */
	size_t fill;		/* next free slot in plan.moved */
	size_t keep_at;		/* 1 + first word of its bits in plan.keep;
				 * 0: src's bits in plan.drop are its own */
};

/* lp_obj_name strings -> small ids, by open addressing. */
struct intern {
	char **names;		/* by id */
	uint32_t *slots;	/* id + 1, 0 = empty */
	size_t count, cap;
};

struct plan {
	struct elf_file *ef;
	struct diag *d;
	/* [nsyms]: lp_obj + 1 of a prefixed symbol, 0 for the others; a
	 * byte, so the per-relocation load stays in cache.  OBJ_WIDE:
	 * look in obj_of_sym_wide (many objects).  */
	uint8_t *obj_of_sym;
	uint32_t *obj_of_sym_wide;
	struct klp_sym *syms;
	size_t nsyms;

	struct intern objs;
	uint32_t vmlinux_obj;		/* its id in objs, or UINT32_MAX */

	struct klp_sec *secs;
	size_t nsecs, secs_cap;
	uint32_t *sec_of_target;	/* [ef->nsecs]: 1-based index into secs */
	size_t orig_nsecs;

	/*
	 * Relocations that move: a bit per entry of every RELA section, in
	 * section order, each section starting on a fresh word.  A klp
	 * section is written straight from its source section's entries:
	 * with the source's own bits when it takes all that move from there,
	 * else with bits of its own, set while the source is scanned.  Only
	 * one fed by several sources, or one that extends an existing
	 * section, gets copies of its entries in MOVED, gathered after the
	 * scan from the sources marked in SRC_COPY.  All of it passes to the
	 * ELF model, which writes from it.
	 */
	uint64_t *drop;
	size_t drop_words;
	size_t *drop_base;		/* [orig_nsecs]: first word of each */
	uint8_t *src_copy;		/* [orig_nsecs]: feeds a copied section */
	uint64_t *keep;			/* bits of klp sections sharing a source */
	size_t keep_words, keep_cap;
	Elf64_Rela *moved;

	/* Scratch for the section being merged: the klp sections it feeds. */
	uint32_t *fed;			/* [objs.count] */

	struct klp_checker chk;	/* the rules, shared with --check */
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static uint32_t intern(struct intern *in, const char *s, size_t len)
{
	size_t i;

	if (2 * (in->count + 1) > in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		uint32_t *slots = xcalloc(cap, sizeof(*slots));

		for (size_t id = 0; id < in->count; id++) {
			const char *n = in->names[id];

			for (i = hash_bytes(n, strlen(n)) & (cap - 1); slots[i];
			     i = (i + 1) & (cap - 1))
				;
			slots[i] = (uint32_t)id + 1;
		}
		free(in->slots);
		in->slots = slots;
		in->cap = cap;
		in->names = xrealloc(in->names, cap / 2 * sizeof(*in->names));
	}
	for (i = hash_bytes(s, len) & (in->cap - 1); in->slots[i];
	     i = (i + 1) & (in->cap - 1)) {
		const char *n = in->names[in->slots[i] - 1];

		if (strncmp(n, s, len) == 0 && n[len] == '\0')
			return in->slots[i] - 1;
	}
	in->names[in->count] = strndup(s, len);
	if (!in->names[in->count])
		INTERNAL_ERROR("out of memory");
	in->slots[i] = (uint32_t)++in->count;
	return (uint32_t)in->count - 1;
}

static void intern_free(struct intern *in)
{
	for (size_t i = 0; i < in->count; i++)
		free(in->names[i]);
	free(in->names);
	free(in->slots);
}

/* ------------------------------------------------------------------ */
/* Plan: find the prefixed symbols                                    */
/* ------------------------------------------------------------------ */

enum { OBJ_WIDE = UINT8_MAX };

static void set_obj_of_sym(struct plan *p, size_t symidx, uint32_t lp_obj)
{
	if (lp_obj + 1 < OBJ_WIDE) {
		p->obj_of_sym[symidx] = (uint8_t)(lp_obj + 1);
		return;
	}
	if (!p->obj_of_sym_wide)
		p->obj_of_sym_wide = xcalloc(p->ef->nsyms,
					     sizeof(*p->obj_of_sym_wide));
	p->obj_of_sym[symidx] = OBJ_WIDE;
	p->obj_of_sym_wide[symidx] = lp_obj;
}

/* The lp_obj of prefixed symbol SYMIDX, whose obj_of_sym byte is K. */
static inline uint32_t obj_of_sym(const struct plan *p, size_t symidx,
				  uint8_t k)
{
	return k == OBJ_WIDE ? p->obj_of_sym_wide[symidx] : k - 1u;
}

/*
 * Is symbol I one klp_reloc.h made?  A converted symbol can look like one
 * (object "rela": .klp.sym.rela.<sym>,<pos>), but it has SHN_LIVEPATCH.
 */
static bool is_prefixed_sym(const struct elf_file *ef, size_t i)
{
	return ef->syms[i].st_shndx != SHN_LIVEPATCH &&
	       klp_is_prefixed(elf_sym_name(ef, i));
}

/*
 * The name the converter would write for KN, whatever klp_parse_name()
 * said of it: .klp.sym.<sym_obj_name>.<sym_name>,<sympos>, the position in
 * decimal when it is a number, else as the annotation wrote it.
 */
static char *converted_name(const struct klp_name *kn)
{
	const char *pos = kn->sym.s + kn->sym.len + 1;	/* after the separator */

	if (*pos && strspn(pos, "0123456789") == strlen(pos))
		return xasprintf(KLP_SYM_PREFIX "%.*s.%.*s,%lu",
				 (int)kn->sym_obj.len, kn->sym_obj.s,
				 (int)kn->sym.len, kn->sym.s,
				 strtoul(pos, NULL, 10));
	return xasprintf(KLP_SYM_PREFIX "%.*s.%.*s,%s",
			 (int)kn->sym_obj.len, kn->sym_obj.s,
			 (int)kn->sym.len, kn->sym.s, pos);
}

/*
 * A name whose converted form is too long for the kernel, which would
 * print the converted name.
 */
static void report_too_long(struct plan *p, size_t symidx,
			    const struct klp_name *kn, const char *why)
{
	const char *name = elf_sym_name(p->ef, symidx);
	char *converted = converted_name(kn), loc[64];

	/* The kernel's %511[^,] reads a symbol that long; a longer one
	 * fails its sscanf().  */
	klp_report_ktext(&p->chk, kn->sym.len <= KLP_SYMNAME_MAX
				 ? RULE_SYM_TOO_LONG : RULE_SYM_NAME,
			 klp_symtab_loc(loc, sizeof(loc), symidx), name, NULL,
			 converted, "%s", why);
	free(converted);
}

/*
 * A klp_reloc.h name whose object names no module (WHY says which).  Its
 * relocations would go to .klp.rela.<lp_obj>.*: never applied when lp_obj
 * is the bad one.  Else klp_resolve_symbols() reads the symbol,
 * .klp.sym.<sym_obj>.<sym>,<pos>, and either cannot parse it (an empty or
 * over-long sym_obj, a ',' in sym, a position that is no number) or looks
 * <sym> up in sym_obj and finds nothing.
 */
static void report_bad_object(struct plan *p, size_t symidx,
			      const struct klp_name *kn, const char *why)
{
	const char *ktext = NULL, *karg = NULL;
	char loc[64], *converted = NULL, *bare = NULL;

	if (!klp_objname_problem(kn->lp_obj.s, kn->lp_obj.len)) {
		converted = converted_name(kn);
		if (klp_sym_name_parses(converted)) {
			bare = xasprintf("%.*s", (int)kn->sym.len, kn->sym.s);
			ktext = KLP_TEXT_NOT_FOUND;
			karg = bare;
		} else {
			ktext = klp_rules[RULE_SYM_NAME].kernel;
			karg = converted;
		}
	}
	klp_report_ktext(&p->chk, RULE_OBJECT_NAME,
			 klp_symtab_loc(loc, sizeof(loc), symidx),
			 elf_sym_name(p->ef, symidx), ktext, karg, "%s", why);
	free(converted);
	free(bare);
}

static void find_prefixed_symbols(struct plan *p)
{
	struct elf_file *ef = p->ef;
	char new_name[KLP_SYMNAME_MAX + 1], why[256], loc[64];

	for (size_t i = 1; i < ef->nsyms; i++) {
		const char *name = elf_sym_name(ef, i);
		struct klp_name kn;
		size_t shndx;
		uint32_t lp_obj;

		if (!is_prefixed_sym(ef, i))
			continue;
		shndx = elf_sym_shndx(ef, i);
		if (shndx != SHN_UNDEF) {
			klp_report(&p->chk, RULE_PREFIX_DEFINED,
				   klp_symtab_loc(loc, sizeof(loc), i), name,
				   "is defined (section index %zu%s%s), but a klp_reloc.h name must stay undefined: remove the definition or the KLP_RELOC_SYMBOL annotation",
				   shndx, shndx < ef->nsecs ? ", " : "",
				   shndx < ef->nsecs ? ef->secs[shndx].name : "");
			continue;
		}
		switch (klp_parse_name(name, &kn, new_name, why, sizeof(why))) {
		case KLP_NAME_OK:
			break;
		case KLP_NAME_BAD_OBJECT:
			report_bad_object(p, i, &kn, why);
			continue;
		case KLP_NAME_TOO_LONG:
			report_too_long(p, i, &kn, why);
			continue;
		default:
			klp_report(&p->chk, RULE_PREFIX_PARSE,
				   klp_symtab_loc(loc, sizeof(loc), i), name, "%s",
				   why);
			continue;
		}
		if (!klp_span_is(kn.lp_obj, KLP_VMLINUX) &&
		    klp_span_is(kn.sym_obj, KLP_VMLINUX)) {
			/* The kernel names the symbol bare (what its
			 * sscanf read between the object and the comma).  */
			snprintf(new_name, sizeof(new_name), "%.*s",
				 (int)kn.sym.len, kn.sym.s);
			klp_report_ktext(&p->chk, RULE_VMLINUX_FROM_MODULE,
				   klp_symtab_loc(loc, sizeof(loc), i), name, NULL,
				   new_name,
				   "a module-specific klp relocation section (.klp.rela.%.*s.*) may not reference a vmlinux symbol; use KLP_RELOC_SYMBOL(vmlinux, %.*s, %lu)",
				   (int)kn.lp_obj.len, kn.lp_obj.s,
				   (int)kn.sym.len, kn.sym.s, kn.sympos);
			continue;
		}
		lp_obj = intern(&p->objs, kn.lp_obj.s, kn.lp_obj.len);
		set_obj_of_sym(p, i, lp_obj);
		/* Appended now, used by rename_symbols(): names of
		 * symbols not renamed yet stay as they are.  */
		p->syms[p->nsyms++] = (struct klp_sym){
			.symidx = i,
			.new_name = elf_add_symbol_name(ef, new_name),
		};
	}
}

/* Count prefixed symbols first so syms never moves. */
static size_t count_prefixed(const struct elf_file *ef)
{
	size_t n = 0;

	for (size_t i = 1; i < ef->nsyms; i++)
		n += is_prefixed_sym(ef, i);
	return n;
}

static void check_modinfo(struct plan *p)
{
	enum klp_modinfo m = klp_modinfo(p->ef);

	/* livepatch=y: a livepatch for the kernel; the check of the
	 * result warns about it.  */
	if (m == MODINFO_LIVEPATCH || m == MODINFO_OTHER_VALUE)
		return;
	klp_report(&p->chk, RULE_MODINFO, NULL, NULL,
		   "uses %zu klp_reloc.h symbol%s, but the kernel would not treat it as a livepatch: %s",
		   p->nsyms, p->nsyms == 1 ? "" : "s", klp_modinfo_fix(m));
}

/* ------------------------------------------------------------------ */
/* Plan: the klp relocation sections                                  */
/* ------------------------------------------------------------------ */

/* Room for CAP klp sections in all. */
static void reserve_klp_secs(struct plan *p, size_t cap)
{
	if (cap <= p->secs_cap)
		return;
	p->secs = xbig_realloc(p->secs, p->secs_cap * sizeof(*p->secs),
			       cap * sizeof(*p->secs));
	p->secs_cap = cap;
}

static struct klp_sec *add_klp_sec(struct plan *p, uint32_t lp_obj,
				   size_t target)
{
	struct klp_sec *ks;

	if (p->nsecs == p->secs_cap)
		reserve_klp_secs(p, p->secs_cap ? p->secs_cap * 2 : 16);
	ks = &p->secs[p->nsecs];
	memset(ks, 0, sizeof(*ks));
	ks->lp_obj = lp_obj;
	ks->target = target;
	ks->next = p->sec_of_target[target];
	p->sec_of_target[target] = (uint32_t)++p->nsecs;
	return ks;
}

static struct klp_sec *find_klp_sec(struct plan *p, uint32_t lp_obj,
				    size_t target)
{
	for (size_t k = p->sec_of_target[target]; k; k = p->secs[k - 1].next)
		if (p->secs[k - 1].lp_obj == lp_obj)
			return &p->secs[k - 1];
	return add_klp_sec(p, lp_obj, target);
}

/* A file converted before already has .klp.rela.<obj>.* sections: new
 * relocations for the same (obj, target) join them.  */
static void index_existing_klp_secs(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t i = 1; i < p->orig_nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];
		const char *obj = s->name + sizeof(KLP_RELA_PREFIX) - 1;
		const char *dot;
		struct klp_sec *ks;

		if (s->sh->sh_type != SHT_RELA ||
		    !(s->sh->sh_flags & SHF_RELA_LIVEPATCH) ||
		    strncmp(s->name, KLP_RELA_PREFIX,
			    sizeof(KLP_RELA_PREFIX) - 1) != 0 ||
		    s->sh->sh_info == 0 || s->sh->sh_info >= p->orig_nsecs)
			continue;
		dot = strchr(obj, '.');
		if (!dot)
			continue;
		/* New entries may join it: it must be readable as Elf64_Rela
		 * against our symbol table, or the conversion stops here.  */
		if (s->sh->sh_entsize != sizeof(Elf64_Rela) ||
		    s->sh->sh_size % sizeof(Elf64_Rela) ||
		    s->sh->sh_link != ef->symtab_idx) {
			diag_error(p->d, "[%zu] %s: existing klp relocation section has entry size %" PRIu64 ", size 0x%" PRIx64 " and sh_link %u, not Elf64_Rela entries against .symtab",
				   i, s->name, s->sh->sh_entsize, s->sh->sh_size,
				   s->sh->sh_link);
			continue;
		}
		if (!elf_sec_data(ef, i).d_buf)
			continue;
		ks = add_klp_sec(p, intern(&p->objs, obj, (size_t)(dot - obj)),
				 s->sh->sh_info);
		ks->idx = (uint32_t)i;
		ks->exists = true;
	}
}

/* ------------------------------------------------------------------ */
/* Plan: the relocations                                              */
/* ------------------------------------------------------------------ */

/* What is wrong with a relocation section's header, if anything. */
enum rel_header { REL_OK, REL_BAD_SIZE, REL_BAD_LINK, REL_BAD_INFO };

static enum rel_header rel_header_problem(const struct plan *p, size_t idx,
					  size_t entsize)
{
	const struct elf_file *ef = p->ef;
	const Elf64_Shdr *sh = ef->secs[idx].sh;

	if (sh->sh_entsize != entsize || sh->sh_size % entsize)
		return REL_BAD_SIZE;
	if (sh->sh_link != ef->symtab_idx || ef->symtab_idx == 0)
		return REL_BAD_LINK;
	if (sh->sh_info == 0 || sh->sh_info >= p->orig_nsecs ||
	    sh->sh_info == idx ||
	    ef->secs[sh->sh_info].sh->sh_type == SHT_RELA ||
	    ef->secs[sh->sh_info].sh->sh_type == SHT_REL)
		return REL_BAD_INFO;
	return REL_OK;
}

/* Check a relocation section's header; return false if it can't be read. */
static bool check_rel_section(struct plan *p, size_t idx, size_t entsize)
{
	const struct elf_file *ef = p->ef;
	const Elf64_Shdr *sh = ef->secs[idx].sh;

	switch (rel_header_problem(p, idx, entsize)) {
	case REL_OK:
		return true;
	case REL_BAD_SIZE:
		diag_error(p->d, "[%zu] %s: entry size %" PRIu64 " or size 0x%" PRIx64 " does not fit %zu-byte entries",
			   idx, ef->secs[idx].name, sh->sh_entsize,
			   sh->sh_size, entsize);
		break;
	case REL_BAD_LINK:
		diag_error(p->d, "[%zu] %s: sh_link %u is not the symbol table",
			   idx, ef->secs[idx].name, sh->sh_link);
		break;
	case REL_BAD_INFO:
		diag_error(p->d, "[%zu] %s: sh_info %u is not a section relocations can apply to",
			   idx, ef->secs[idx].name, sh->sh_info);
		break;
	}
	return false;
}

/* A REL section may not touch a prefixed symbol: livepatch is RELA-only. */
static void scan_rel_section(struct plan *p, size_t idx)
{
	struct elf_file *ef = p->ef;
	struct elf_data data;
	const Elf64_Rel *rel;
	size_t n;

	if (!check_rel_section(p, idx, sizeof(Elf64_Rel)))
		return;
	data = elf_sec_data(ef, idx);
	if (!data.d_buf)
		return;
	rel = data.d_buf;
	n = data.d_size / sizeof(*rel);
	for (size_t i = 0; i < n; i++) {
		size_t symi = ELF64_R_SYM(rel[i].r_info);
		char loc[512];

		if (symi >= ef->nsyms) {
			diag_error(p->d, "[%zu] %s: entry %zu: symbol index %zu is past the end of .symtab",
				   idx, ef->secs[idx].name, i, symi);
			return;
		}
		if (!p->obj_of_sym[symi] ||
		    !elf_sec_is_alloc(&ef->secs[ef->secs[idx].sh->sh_info]))
			continue;
		klp_report(&p->chk, RULE_REL,
			   klp_where(&p->chk, ef->secs[idx].sh->sh_info,
				     rel[i].r_offset, loc, sizeof(loc)),
			   elf_sym_name(ef, symi),
			   "REL relocation section [%zu] %s: livepatch needs RELA relocations (the kernel applies klp relocations with apply_relocate_add())",
			   idx, ef->secs[idx].name);
		return;
	}
}

/* Words of the drop bitmap that section IDX's entries use. */
static size_t drop_words(const struct elf_file *ef, size_t idx)
{
	return (ef->secs[idx].sh->sh_size / sizeof(Elf64_Rela) + 63) / 64;
}

/* Is this a section whose relocations may move? */
static bool is_movable_rela(const struct elf_sec *s)
{
	return s->sh->sh_type == SHT_RELA &&
	       !(s->sh->sh_flags & SHF_RELA_LIVEPATCH);
}

/* The klp section for LP_OBJ first met in relocation section IDX. */
static uint32_t klp_sec_fed_by(struct plan *p, uint32_t lp_obj, size_t idx,
			       size_t target)
{
	struct klp_sec *ks = find_klp_sec(p, lp_obj, target);
	uint32_t k = (uint32_t)(ks - p->secs);

	if (!ks->src) {
		ks->src = (uint32_t)idx;
	} else {
		/* Fed by several sources: its entries are copied.  */
		ks->copy = true;
		p->src_copy[ks->src] = 1;
	}
	if (ks->exists) {
		/* Old entries first, then copies of the new ones.  */
		ks->copy = true;
	}
	if (ks->copy)
		p->src_copy[idx] = 1;
	return k;
}

/* Room for K more words of keep bits. */
static void keep_reserve(struct plan *p, size_t k)
{
	if (p->keep_words + k > p->keep_cap) {
		p->keep_cap = p->keep_words + k;
		p->keep = xrealloc(p->keep, p->keep_cap * sizeof(*p->keep));
	}
}

/* Room for K more words of keep bits, zeroed; return the first. */
static size_t keep_alloc(struct plan *p, size_t k)
{
	size_t at = p->keep_words;

	if (at + k > p->keep_cap)
		keep_reserve(p, at + 2 * k);
	memset(p->keep + at, 0, k * sizeof(*p->keep));
	p->keep_words += k;
	return at;
}

/*
 * The scan is two passes.  The first does the per-entry work of the RELA
 * sections of a "part", a range of sections: the symbol index, the
 * object, the relocation rules, the drop bits, and the split between
 * klp sections, recorded as one "feed" per (section, object) in the order
 * the entries meet them.  The second, part_merge(), does the klp section
 * bookkeeping from the feeds, section by section.
 *
 * On a big module the first pass is most of the plan, so it runs on two
 * threads, each over half of the entries, with a quiet checker of its
 * own; the parts are merged in section order, so the plan comes out as
 * from one part.  A quiet part that meets anything to report gives up,
 * and one part over all sections runs again with the plan's checker,
 * which reports in section and entry order.
 */

/* Relocation entries below which the scan stays on one thread. */
enum { SCAN_PARALLEL_MIN = 65536 };

/* Relocation section IDX moves N entries to LP_OBJ's klp section. */
struct feed {
	uint32_t idx, lp_obj;
	size_t n;
	size_t bits;		/* 1 + first word of its bits in part.bits,
				 * when IDX feeds several; else 0 */
};

struct scan_part {
	/* A cache line of its own: the two threads write theirs all along. */
	_Alignas(64) struct plan *p;
	size_t from, to;		/* relocation sections [from, to) */
	struct klp_checker *chk;	/* the plan's, or OWN, quiet */
	struct klp_checker own;
	bool bail;			/* quiet, and something to report */
	struct feed *feeds;
	size_t nfeeds, feeds_cap;
	uint64_t *bits;
	size_t nbits, bits_cap;
	uint32_t *met_in;		/* [objs.count]: section seen last */
	uint32_t *feed_of;		/* [objs.count]: its feed there */
	uint32_t *feed_of_moved;	/* per moved entry of the section */
	size_t moved_cap;
};

/* Give feeds FIRST.. of section IDX bits of their own, from its DROP. */
static void part_split_bits(struct scan_part *sp, size_t idx,
			    const uint64_t *drop, size_t first)
{
	size_t words = drop_words(sp->p->ef, idx), m = 0;

	for (size_t f = first; f < sp->nfeeds; f++) {
		if (sp->nbits + words > sp->bits_cap) {
			sp->bits_cap = (sp->nbits + words) * 2;
			sp->bits = xrealloc(sp->bits,
					    sp->bits_cap * sizeof(*sp->bits));
		}
		memset(sp->bits + sp->nbits, 0, words * sizeof(*sp->bits));
		sp->feeds[f].bits = 1 + sp->nbits;
		sp->nbits += words;
	}
	for (size_t w = 0; w < words; w++)
		for (uint64_t word = drop[w]; word; word &= word - 1) {
			const struct feed *fd =
				&sp->feeds[first + sp->feed_of_moved[m++]];

			sp->bits[fd->bits - 1 + w] |= word & -word;
		}
}

/* Entry I of section IDX names symbol SYMI past the table: report it
 * unless quiet; return false to give up.  */
static bool bad_symbol_index(const struct scan_part *sp, size_t idx,
			     size_t i, size_t symi)
{
	if (sp->chk->quiet)
		return false;
	diag_error(sp->p->d, "[%zu] %s: entry %zu: symbol index %zu is past the end of .symtab",
		   idx, sp->p->ef->secs[idx].name, i, symi);
	return true;
}

/*
 * First pass over RELA section IDX: mark in DROP the relocations against
 * prefixed symbols from an allocated target, check each, and feed it to
 * its object's klp section.  The plan and the model are not changed.
 * Quiet, return false at the first thing to report; else report, and go
 * on with the next section.
 */
static bool part_scan_section(struct scan_part *sp, size_t idx, uint64_t *drop)
{
	struct plan *p = sp->p;
	struct elf_file *ef = p->ef;
	size_t target = ef->secs[idx].sh->sh_info, n, first = sp->nfeeds;
	size_t nmoved = 0;
	const Elf64_Rela *rela;

	if (sp->chk->quiet) {
		/* Nothing that reports or changes the model: on a thread. */
		if (rel_header_problem(p, idx, sizeof(Elf64_Rela)) != REL_OK)
			return false;
		rela = elf_sec_data_in_place(ef, idx);
	} else {
		if (!check_rel_section(p, idx, sizeof(Elf64_Rela)))
			return true;
		rela = elf_sec_data(ef, idx).d_buf;
	}
	if (!rela)
		return !sp->chk->quiet;
	n = ef->secs[idx].orig_size / sizeof(*rela);
	/* Non-allocated targets (.debug_*) keep their relocations: their
	 * entries are only checked.  */
	if (!elf_sec_is_alloc(&ef->secs[target])) {
		for (size_t i = 0; i < n; i++)
			if (ELF64_R_SYM(rela[i].r_info) >= ef->nsyms)
				return bad_symbol_index(sp, idx, i,
					ELF64_R_SYM(rela[i].r_info));
		return true;
	}
	if (n > sp->moved_cap) {
		sp->moved_cap = n;
		sp->feed_of_moved = xrealloc(sp->feed_of_moved,
					n * sizeof(*sp->feed_of_moved));
	}
	for (size_t i = 0; i < n; i++) {
		size_t symi = ELF64_R_SYM(rela[i].r_info);
		uint32_t lp_obj;
		uint8_t o;

		if (symi >= ef->nsyms)
			return bad_symbol_index(sp, idx, i, symi);
		o = p->obj_of_sym[symi];
		if (!o)
			continue;
		lp_obj = obj_of_sym(p, symi, o);
		klp_check_reloc(sp->chk, target, &rela[i],
				lp_obj == p->vmlinux_obj ? NULL
							 : p->objs.names[lp_obj]);
		if (sp->chk->found)
			return false;
		if (sp->met_in[lp_obj] != idx) {
			if (sp->nfeeds == sp->feeds_cap) {
				size_t cap = sp->feeds_cap ? 2 * sp->feeds_cap
							   : 256;

				sp->feeds = xbig_realloc(sp->feeds,
					sp->feeds_cap * sizeof(*sp->feeds),
					cap * sizeof(*sp->feeds));
				sp->feeds_cap = cap;
			}
			sp->met_in[lp_obj] = (uint32_t)idx;
			sp->feed_of[lp_obj] = (uint32_t)(sp->nfeeds - first);
			sp->feeds[sp->nfeeds++] = (struct feed){
				.idx = (uint32_t)idx, .lp_obj = lp_obj,
			};
		}
		sp->feeds[first + sp->feed_of[lp_obj]].n++;
		sp->feed_of_moved[nmoved++] = sp->feed_of[lp_obj];
		drop[i / 64] |= 1ULL << (i % 64);
	}
	if (sp->nfeeds - first > 1)
		part_split_bits(sp, idx, drop, first);
	return true;
}

static void *part_scan(void *arg)
{
	struct scan_part *sp = arg;
	struct plan *p = sp->p;

	for (size_t i = sp->from; i < sp->to && !sp->bail; i++) {
		const struct elf_sec *s = &p->ef->secs[i];

		/* Quiet parts never meet one: scan_in_parallel() checks. */
		if (s->sh->sh_type == SHT_REL && !sp->chk->quiet)
			scan_rel_section(p, i);
		else if (is_movable_rela(s))
			sp->bail = !part_scan_section(sp, i,
						p->drop + p->drop_base[i]);
	}
	return NULL;
}

/* The klp section bookkeeping, from a part's feeds. */
static void part_merge(struct plan *p, const struct scan_part *sp)
{
	for (size_t k = 0, end; k < sp->nfeeds; k = end) {
		size_t idx = sp->feeds[k].idx;
		size_t target = p->ef->secs[idx].sh->sh_info;
		size_t words = drop_words(p->ef, idx);

		for (end = k; end < sp->nfeeds && sp->feeds[end].idx == idx;
		     end++) {
			uint32_t ks = klp_sec_fed_by(p, sp->feeds[end].lp_obj,
						     idx, target);

			p->secs[ks].n += sp->feeds[end].n;
			p->fed[end - k] = ks;
		}
		if (end - k < 2)
			continue;
		for (size_t f = k; f < end; f++) {
			struct klp_sec *ks = &p->secs[p->fed[f - k]];

			if (ks->copy)
				continue;
			ks->keep_at = 1 + keep_alloc(p, words);
			memcpy(p->keep + ks->keep_at - 1,
			       sp->bits + sp->feeds[f].bits - 1,
			       words * sizeof(*p->keep));
		}
	}
}

/* A part over sections [FROM, TO) with checker CHK, or quiet. */
static void part_init(struct scan_part *sp, struct plan *p, size_t from,
		      size_t to, struct klp_checker *chk)
{
	*sp = (struct scan_part){
		.p = p, .from = from, .to = to, .chk = chk,
		.met_in = xcalloc(p->objs.count, sizeof(uint32_t)),
		.feed_of = xcalloc(p->objs.count, sizeof(uint32_t)),
	};
	if (!chk) {
		klp_checker_init(&sp->own, p->ef);
		sp->own.quiet = true;
		sp->chk = &sp->own;
	}
}

/* Merge parts SP[0..N) in order, with room made first. */
static void parts_merge(struct plan *p, const struct scan_part *sp, size_t n)
{
	size_t feeds = 0, bits = 0;

	for (size_t k = 0; k < n; k++) {
		feeds += sp[k].nfeeds;
		bits += sp[k].nbits;
	}
	/* A klp section per feed at most: no growing on the way. */
	reserve_klp_secs(p, p->nsecs + feeds);
	keep_reserve(p, bits);
	for (size_t k = 0; k < n; k++)
		part_merge(p, &sp[k]);
}

static void part_free(struct scan_part *sp)
{
	klp_checker_free(&sp->own);
	xbig_free(sp->feeds, sp->feeds_cap * sizeof(*sp->feeds));
	free(sp->bits);
	free(sp->met_in);
	free(sp->feed_of);
	free(sp->feed_of_moved);
}

/* Scan on two threads; false if the serial scan must run instead. */
static bool scan_in_parallel(struct plan *p, unsigned int threads)
{
	struct elf_file *ef = p->ef;
	struct scan_part part[2];
	size_t total = 0, half = 0, mid = p->orig_nsecs;
	struct xthread thread;
	bool threaded, ok;

	if (threads == 1 || !ef->native)
		return false;
	for (size_t i = 1; i < p->orig_nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (s->sh->sh_type == SHT_REL)
			return false;	/* rare: the serial scan checks them */
		if (is_movable_rela(s))
			total += s->orig_size / sizeof(Elf64_Rela);
	}
	if (total == 0)
		return false;
	/* A second thread costs more than it saves on small modules: the
	 * bench's F=10 module (220 entries) took 0.3 ms longer with it,
	 * its F=1,000 module (20,000 entries) just as long.  */
	if (threads == 0 &&
	    (total < SCAN_PARALLEL_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2))
		return false;
	for (size_t i = 1; i < p->orig_nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (!is_movable_rela(s))
			continue;
		half += s->orig_size / sizeof(Elf64_Rela);
		if (2 * half >= total) {
			mid = i + 1;
			break;
		}
	}

	part_init(&part[0], p, 1, mid, NULL);
	part_init(&part[1], p, mid, p->orig_nsecs, NULL);
	/* Shared lookups the rules build on first use, built here. */
	klp_special_sections_prepare(p->chk.arch);
	threaded = xthread_start(&thread, part_scan, &part[1]);
	part_scan(&part[0]);
	if (threaded)
		xthread_join(&thread);
	else
		part_scan(&part[1]);

	ok = !part[0].bail && !part[1].bail;
	if (ok)
		parts_merge(p, part, 2);
	part_free(&part[0]);
	part_free(&part[1]);
	return ok;
}

/* One part over every section, reporting with the plan's checker. */
static void scan_serially(struct plan *p)
{
	struct scan_part part;
	size_t errors = p->d->errors;

	/* From nothing: a parallel pass that gave up may have set bits. */
	memset(p->drop, 0, p->drop_words * sizeof(*p->drop));
	part_init(&part, p, 1, p->orig_nsecs, &p->chk);
	part_scan(&part);
	/* After an error the plan is dropped, and the feeds of the section
	 * that had it may lack their bits.  */
	if (p->d->errors == errors)
		parts_merge(p, &part, 1);
	part_free(&part);
}

/* Return the threads the scan ran on. */
static unsigned int scan_relocations(struct plan *p, unsigned int threads)
{
	struct elf_file *ef = p->ef;
	unsigned int used = 2;

	p->drop_base = xcalloc(p->orig_nsecs, sizeof(*p->drop_base));
	p->src_copy = xcalloc(p->orig_nsecs, sizeof(*p->src_copy));
	for (size_t i = 1; i < p->orig_nsecs; i++) {
		p->drop_base[i] = p->drop_words;
		if (is_movable_rela(&ef->secs[i]))
			p->drop_words += drop_words(ef, i);
	}
	p->drop = xcalloc(p->drop_words, sizeof(*p->drop));
	p->fed = xcalloc(p->objs.count, sizeof(*p->fed));
	/* Every object is known: the checker's vmlinux test is one compare
	 * of ids per relocation.  */
	p->vmlinux_obj = UINT32_MAX;
	for (uint32_t k = 0; k < p->objs.count; k++)
		if (strcmp(p->objs.names[k], KLP_VMLINUX) == 0)
			p->vmlinux_obj = k;

	if (!scan_in_parallel(p, threads)) {
		scan_serially(p);
		used = 1;
	}
	/* All klp sections are known: give back what doubling left over. */
	if (p->nsecs) {
		p->secs = xbig_realloc(p->secs,
				       p->secs_cap * sizeof(*p->secs),
				       p->nsecs * sizeof(*p->secs));
		p->secs_cap = p->nsecs;
	}
	return used;
}

/* ------------------------------------------------------------------ */
/* Apply                                                              */
/* ------------------------------------------------------------------ */

static void rename_symbols(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t k = 0; k < p->nsyms; k++) {
		Elf64_Sym *sym = &ef->syms[p->syms[k].symidx];

		sym->st_name = p->syms[k].new_name;
		sym->st_shndx = SHN_LIVEPATCH;
	}
	if (p->nsyms)
		elf_sec_mark_dirty(ef, ef->symtab_idx);
}

/*
 * Apply pass: gather the entries of the klp sections that are copied
 * (see struct plan), and tell the model which entries each source
 * section loses.
 */
static void move_relocations(struct plan *p)
{
	struct elf_file *ef = p->ef;
	size_t fill = 0;

	if (!p->drop)	/* only after scan_relocations() without errors */
		INTERNAL_ERROR("relocations moved before they were planned");
	for (size_t k = 0; k < p->nsecs; k++) {
		struct klp_sec *ks = &p->secs[k];

		if (ks->n && ks->copy) {
			ks->fill = fill;
			fill += ks->n;
		}
	}
	p->moved = xcalloc(fill, sizeof(*p->moved));

	for (size_t idx = 1; idx < p->orig_nsecs; idx++) {
		const struct elf_sec *s = &ef->secs[idx];
		const uint64_t *drop = p->drop + p->drop_base[idx];
		const Elf64_Rela *rela;
		size_t n, words, moved = 0;

		if (!is_movable_rela(s))
			continue;
		n = s->sh->sh_size / sizeof(*rela);
		words = drop_words(ef, idx);
		for (size_t w = 0; w < words; w++)
			moved += (size_t)__builtin_popcountll(drop[w]);
		if (!moved)
			continue;
		elf_sec_drop_entries(ef, idx, drop, n - moved);
		if (!p->src_copy[idx])
			continue;
		rela = elf_sec_data(ef, idx).d_buf;	/* read by the scan */
		for (size_t w = 0; w < words; w++) {
			for (uint64_t word = drop[w]; word; word &= word - 1) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(word);
				size_t symi = ELF64_R_SYM(rela[i].r_info);
				struct klp_sec *ks = find_klp_sec(p,
					obj_of_sym(p, symi, p->obj_of_sym[symi]),
					s->sh->sh_info);

				if (ks->copy)
					p->moved[ks->fill++] = rela[i];
			}
		}
	}
}

/* NAME = KLP_RELA_PREFIX OBJ "." TARGET, with room for it all. */
static void build_klp_rela_name(char *name, const char *obj,
				const char *target)
{
	char *q = stpcpy(name, KLP_RELA_PREFIX);

	q = stpcpy(q, obj);
	*q++ = '.';
	(void)stpcpy(q, target);
}

static void create_klp_secs(struct plan *p)
{
	struct elf_file *ef = p->ef;
	size_t name_max = 0, name_bytes = 0;
	char *name;

	/* One allocation for all new headers and names. */
	for (size_t k = 0; k < p->nsecs; k++) {
		size_t len;

		if (!p->secs[k].n || p->secs[k].exists)
			continue;
		len = sizeof(KLP_RELA_PREFIX) +
		      strlen(p->objs.names[p->secs[k].lp_obj]) + 1 +
		      strlen(ef->secs[p->secs[k].target].name);
		name_bytes += len;
		if (len > name_max)
			name_max = len;
	}
	elf_reserve_sections(ef, p->nsecs, name_bytes);
	name = xmalloc(name_max + 1);
	for (size_t k = 0; k < p->nsecs; k++) {
		struct klp_sec *ks = &p->secs[k];
		Elf64_Rela *relas = p->moved + ks->fill - ks->n;	/* if copy */
		size_t size = ks->n * sizeof(Elf64_Rela);

		if (ks->n == 0)
			continue;
		if (ks->exists) {
			/* Old entries first, then the new ones. */
			const struct elf_data old = elf_sec_data(ef, ks->idx);
			char *buf;

			if (!old.d_buf)
				INTERNAL_ERROR("existing klp section unreadable");
			buf = xmalloc(old.d_size + size);
			memcpy(buf, old.d_buf, old.d_size);
			memcpy(buf + old.d_size, relas, size);
			elf_sec_set_buf(ef, ks->idx, buf, old.d_size + size,
					ELF_T_RELA);
			continue;
		}
		Elf64_Shdr sh = {
			.sh_type = SHT_RELA,
			.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
			.sh_link = (Elf64_Word)ef->symtab_idx,
			.sh_info = ks->target,
			.sh_addralign = 8,
			.sh_entsize = sizeof(Elf64_Rela),
			.sh_size = size,
		};

		/* section format: .klp.rela.<lp_obj_name>.<section name>,
		 * the section name with its leading dot, so the kernel's
		 * %55[^.] stops right after the object name.  */
		build_klp_rela_name(name, p->objs.names[ks->lp_obj],
				    ef->secs[ks->target].name);
		if (ks->copy)
			ks->idx = (uint32_t)elf_add_section(ef, name, &sh, relas,
							    ELF_T_RELA);
		else
			ks->idx = (uint32_t)elf_add_section_from(ef, name, &sh,
				ks->src, ks->keep_at ? p->keep + ks->keep_at - 1
						     : p->drop + p->drop_base[ks->src]);
	}
	free(name);
	/* The model writes from these; they live as long as it does. */
	elf_adopt(ef, p->moved);
	elf_adopt(ef, p->drop);
	elf_adopt(ef, p->keep);
	p->moved = NULL;
	p->drop = NULL;
	p->keep = NULL;
}

static void print_moves(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t k = 0; k < p->nsecs; k++) {
		const struct klp_sec *ks = &p->secs[k];
		const struct elf_sec *s = &ef->secs[ks->idx];
		struct elf_rela_view v;
		size_t skip;

		if (ks->n == 0 || !elf_sec_relas(ef, ks->idx, &v))
			continue;
		/* An extended section: only the entries added now. */
		skip = ks->exists ? v.n - ks->n : 0;
		for (size_t i = 0; i < v.n; i++) {
			const Elf64_Rela *r = &v.rela[i];
			size_t symi = ELF64_R_SYM(r->r_info);
			int64_t addend = r->r_addend;
			char loc[512], tname[64];

			if (!elf_rela_counts(&v, i) || (skip && skip--))
				continue;
			/* readelf's way: "sym + 8", "sym - 4" */
			diag_note(p->d, "%s: %s %s %c %" PRIu64 ": [%zu] %s -> [%zu] %s",
				  klp_where(&p->chk, ks->target, r->r_offset,
					    loc, sizeof(loc)),
				  klp_reloc_type_name(p->chk.arch,
					(uint32_t)ELF64_R_TYPE(r->r_info),
					tname, sizeof(tname)),
				  elf_sym_name(ef, symi),	/* renamed */
				  addend < 0 ? '-' : '+',
				  addend < 0 ? -(uint64_t)addend : (uint64_t)addend,
				  (size_t)ks->src, ef->secs[ks->src].name,
				  (size_t)ks->idx, s->name);
		}
	}
}

static int cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * How many of the findings OUT held on the result the input does not
 * have (SIZE_MAX: cannot tell).  The plan looks only at what conversion
 * touches; checking all the rest of the input first would double the
 * work on every run.  So a problem the input had already (an undefined
 * .klp.sym symbol beside the annotations, say) is first seen on the
 * result.  Only then, on this failure path, the input is read and
 * checked again: the result keeps section and symbol indices, names and
 * offsets, so a finding the input shares reads the same, word for word.
 */
static size_t findings_not_in_input(struct elf_file *ef,
				    const struct diag_capture *out)
{
	struct diag_capture in = { 0 };
	struct diag d = { .file = ef->diag->file, .verbose = -1,
			  .capture = &in };
	struct klp_checker chk;
	struct elf_file orig;
	size_t fresh = SIZE_MAX;

	if (elf_reopen(&orig, &d, ef) == 0) {
		klp_checker_init(&chk, &orig);
		klp_check_module(&chk);
		klp_checker_free(&chk);
		qsort(in.hash, in.n, sizeof(*in.hash), cmp_hash);
		fresh = 0;
		for (size_t i = 0; i < out->n; i++)
			fresh += !in.n || !bsearch(&out->hash[i], in.hash, in.n,
						   sizeof(*in.hash), cmp_hash);
	}
	elf_close(&orig);
	for (size_t i = 0; i < in.n && i < DIAG_MAX_ERRORS; i++)
		free(in.text[i]);
	free(in.hash);
	return fresh;
}

/*
 * Run --check's rules on the result before it is put in place: what the
 * converter produces and what the checker accepts cannot disagree.  A
 * finding stops the write; it is the input's when the input has it too,
 * else a bug of the converter.
 */
bool klp_convert_verify(struct elf_file *ef)
{
	struct diag_capture out = { 0 };
	struct klp_checker chk;
	size_t errors, fresh;

	klp_checker_init(&chk, ef);
	/* klp_convert() checked them, on the same symbols and the same
	 * relocations.  */
	chk.relocs_checked = true;
	ef->diag->capture = &out;
	errors = klp_check_module(&chk);
	ef->diag->capture = NULL;
	klp_checker_free(&chk);
	if (!errors) {
		free(out.hash);
		return true;
	}
	fresh = findings_not_in_input(ef, &out);
	diag_capture_release(ef->diag, &out);
	if (fresh == 0)
		diag_conclude(ef->diag, "the input has %s above already, and conversion does not repair %s: fix the module; nothing written",
			   errors == 1 ? "the problem" : "the problems",
			   errors == 1 ? "it" : "them");
	else if (fresh == SIZE_MAX)
		diag_conclude(ef->diag, "internal error: the converted module would break %zu rule%s above; nothing written, please report this",
			   errors, errors == 1 ? "" : "s");
	else
		diag_conclude(ef->diag, "internal error: the converted module would break %zu rule%s above that the input does not; nothing written, please report this",
			   fresh, fresh == 1 ? "" : "s");
	return false;
}

/*
 * The converter appends symbol names and section names to their tables;
 * an object whose symbols and sections share one table (LLVM's assembler
 * writes them so; ld -r and ld.lld -r never do) would need the two kept
 * in one sequence.  Modules are linked, so refuse instead.
 */
static bool shared_string_table(struct elf_file *ef)
{
	size_t strtab = ef->secs[ef->symtab_idx].sh->sh_link;

	if (strtab != ef->shstrndx)
		return false;
	diag_error(ef->diag, "[%zu] %s: the symbol names and the section names share this string table, as in an object straight from clang -c: convert the module linked with ld -r (kbuild's .ko), not its objects",
		   strtab, ef->secs[strtab].name);
	return true;
}

/*
 * A signed module (klp_is_signed()).  A rewrite cannot keep a signature
 * valid, and the writer lays out sections only: refuse, so a pipeline that
 * signs too early learns it here rather than from the loader.
 */
static bool signed_module(struct elf_file *ef)
{
	if (!klp_is_signed(ef->map, ef->size))
		return false;
	diag_error(ef->diag, "the module is signed (it ends with '~Module signature appended~'), and conversion would drop the signature: convert the unsigned module, then sign it");
	return true;
}

static void plan_free(struct plan *p)
{
	free(p->moved);
	free(p->drop);
	free(p->keep);
	free(p->drop_base);
	free(p->src_copy);
	free(p->fed);
	free(p->syms);
	free(p->obj_of_sym);
	free(p->obj_of_sym_wide);
	xbig_free(p->secs, p->secs_cap * sizeof(*p->secs));
	free(p->sec_of_target);
	klp_checker_free(&p->chk);
	intern_free(&p->objs);
}

enum convert_result klp_convert(struct elf_file *ef,
				const struct convert_opts *opts,
				struct convert_stats *stats)
{
	struct plan p = {
		.ef = ef, .d = ef->diag,
		.orig_nsecs = ef->nsecs,
	};
	size_t errors = ef->diag->errors;
	size_t nprefixed = count_prefixed(ef);
	enum convert_result ret;


	memset(stats, 0, sizeof(*stats));
	klp_checker_init(&p.chk, ef);
	p.chk.symvers = opts->symvers;
	if (nprefixed == 0) {
		/* Nothing to convert.  A module converted already (by
		 * this tool or another) is checked whole: a link after the
		 * conversion, say, spoils its klp symbols and sections.  And
		 * an unannotated reference to a symbol nobody exports must
		 * still fail the build.  */
		size_t found = 0;

		if (klp_has_content(ef)) {
			p.chk.symvers = NULL;	/* the exports come next */
			found = klp_check_module(&p.chk);
			p.chk.symvers = opts->symvers;
		}
		if (opts->symvers)
			klp_check_exports(&p.chk);
		if (found)
			diag_conclude(ef->diag, "no klp_reloc.h symbols to convert, but the klp sections and symbols the module has already break the rules above (were they linked again after conversion?); nothing written");
		klp_checker_free(&p.chk);
		return ef->diag->errors == errors ? CONVERT_NOTHING
						  : CONVERT_ERROR;
	}

	if (shared_string_table(ef) || signed_module(ef)) {
		klp_checker_free(&p.chk);
		return CONVERT_ERROR;
	}
	p.syms = xcalloc(nprefixed, sizeof(*p.syms));
	p.obj_of_sym = xcalloc(ef->nsyms, sizeof(*p.obj_of_sym));
	p.sec_of_target = xcalloc(ef->nsecs, sizeof(*p.sec_of_target));

	find_prefixed_symbols(&p);
	check_modinfo(&p);
	/* Relocations of the symbols that parsed are checked even when
	 * others did not: every problem is reported in one run.  */
	if (klp_check_arch(&p.chk)) {
		index_existing_klp_secs(&p);
		stats->scan_threads = scan_relocations(&p, opts->threads);
	}
	if (ef->diag->errors == errors && opts->symvers)
		klp_check_exports(&p.chk);

	if (ef->diag->errors != errors) {
		ret = CONVERT_ERROR;
	} else {
		rename_symbols(&p);
		move_relocations(&p);
		create_klp_secs(&p);
		if (p.d->verbose > 0)
			print_moves(&p);
		stats->symbols = p.nsyms;
		for (size_t k = 0; k < p.nsecs; k++) {
			stats->relocs += p.secs[k].n;
			stats->sections += p.secs[k].n > 0;
		}
		ret = CONVERT_DONE;
	}
	plan_free(&p);
	return ret;
}
