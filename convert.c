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

#include "arch.h"

/* A prefixed symbol of the input. */
struct klp_sym {
	size_t symidx;
	struct klp_name name;
	char *new_name;		/* .klp.sym.<sym_obj_name>.<sym_name>,<sympos> */
	uint32_t lp_obj;	/* interned lp_obj_name */
};

/* A klp relocation section being built (or extended). */
struct klp_sec {
	uint32_t lp_obj;
	size_t target;		/* section the relocations apply to */
	size_t idx;		/* section index (assigned when created) */
	bool exists;		/* found in the input: extend it */
	size_t src;		/* first relocation section moved from */
	Elf64_Rela *relas;
	size_t n, cap;
	size_t next;		/* 1-based index of the next for the same target */
};

/* lp_obj_name strings -> small ids, by open addressing. */
struct intern {
	char **names;		/* by id */
	uint32_t *slots;	/* id + 1, 0 = empty */
	size_t count, cap;
};

/* Defined functions and objects by (section, value), for FUNC+0xOFF. */
struct func_ref {
	size_t shndx;
	uint64_t value, size;
	size_t symidx;
};

struct plan {
	struct elf_file *ef;
	struct diag *d;
	const struct convert_opts *opts;
	const struct klp_arch *arch;

	uint32_t *klp_of_sym;	/* [nsyms]: 1-based index into syms */
	struct klp_sym *syms;
	size_t nsyms;

	struct intern objs;
	uint32_t vmlinux;	/* id of "vmlinux" */

	struct klp_sec *secs;
	size_t nsecs, secs_cap;
	size_t *sec_of_target;	/* [ef->nsecs]: 1-based index into secs */
	size_t orig_nsecs;

	struct func_ref *funcs;	/* built on first use */
	size_t nfuncs;
	bool funcs_built;
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static uint64_t hash_span(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static uint32_t intern(struct intern *in, const char *s, size_t len)
{
	size_t i;

	if (2 * (in->count + 1) > in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		uint32_t *slots = xcalloc(cap, sizeof(*slots));

		for (size_t id = 0; id < in->count; id++) {
			const char *n = in->names[id];

			for (i = hash_span(n, strlen(n)) & (cap - 1); slots[i];
			     i = (i + 1) & (cap - 1))
				;
			slots[i] = (uint32_t)id + 1;
		}
		free(in->slots);
		in->slots = slots;
		in->cap = cap;
		in->names = xrealloc(in->names, cap / 2 * sizeof(*in->names));
	}
	for (i = hash_span(s, len) & (in->cap - 1); in->slots[i];
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

static int cmp_func_ref(const void *a, const void *b)
{
	const struct func_ref *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->symidx < y->symidx ? -1 : x->symidx > y->symidx;
}

static void build_funcs(struct plan *p)
{
	const struct elf_file *ef = p->ef;

	p->funcs_built = true;
	p->funcs = xcalloc(ef->nsyms, sizeof(*p->funcs));
	for (size_t i = 1; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		int type = ELF64_ST_TYPE(sym->st_info);
		size_t shndx = elf_sym_shndx(ef, i);

		if ((type != STT_FUNC && type != STT_OBJECT) ||
		    shndx == SHN_UNDEF || shndx >= ef->nsecs ||
		    (sym->st_shndx >= SHN_LORESERVE &&
		     sym->st_shndx != SHN_XINDEX))
			continue;
		p->funcs[p->nfuncs++] = (struct func_ref){
			shndx, sym->st_value, sym->st_size, i };
	}
	qsort(p->funcs, p->nfuncs, sizeof(*p->funcs), cmp_func_ref);
}

/* "[IDX] SECTION+0xOFF (FUNC+0xOFF)" for offset OFF in section SHNDX. */
static const char *where(struct plan *p, size_t shndx, uint64_t off,
			 char *buf, size_t len)
{
	const struct func_ref *best = NULL;
	size_t lo = 0, hi;
	int n;

	n = snprintf(buf, len, "[%zu] %s+0x%" PRIx64, shndx,
		     p->ef->secs[shndx].name, off);
	if (!p->funcs_built)
		build_funcs(p);
	hi = p->nfuncs;
	while (lo < hi) {		/* last entry <= (shndx, off) */
		size_t mid = lo + (hi - lo) / 2;
		const struct func_ref *f = &p->funcs[mid];

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
			 elf_sym_name(p->ef, best->symidx), off - best->value);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Plan: find the prefixed symbols                                    */
/* ------------------------------------------------------------------ */

static void find_prefixed_symbols(struct plan *p)
{
	struct elf_file *ef = p->ef;
	char new_name[KLP_SYMNAME_MAX + 1], why[256];

	p->klp_of_sym = xcalloc(ef->nsyms ? ef->nsyms : 1,
				sizeof(*p->klp_of_sym));
	for (size_t i = 1; i < ef->nsyms; i++) {
		const char *name = elf_sym_name(ef, i);
		size_t shndx;
		struct klp_sym *ks;

		if (!klp_is_prefixed(name))
			continue;
		shndx = elf_sym_shndx(ef, i);
		if (shndx != SHN_UNDEF) {
			diag_error(p->d, ".symtab entry %zu: symbol '%s': is defined (section index %zu%s%s), but a klp_reloc.h name must stay undefined: remove the definition or the KLP_RELOC_SYMBOL annotation",
				   i, name, shndx, shndx < ef->nsecs ? ", " : "",
				   shndx < ef->nsecs ? ef->secs[shndx].name : "");
			continue;
		}
		ks = &p->syms[p->nsyms];
		if (klp_parse_name(name, &ks->name, new_name, why, sizeof(why))) {
			diag_error(p->d, ".symtab entry %zu: symbol '%s': %s",
				   i, name, why);
			continue;
		}
		if (!klp_span_is(ks->name.lp_obj, KLP_VMLINUX) &&
		    klp_span_is(ks->name.sym_obj, KLP_VMLINUX)) {
			diag_error(p->d, ".symtab entry %zu: symbol '%s': a module-specific klp relocation section (.klp.rela.%.*s.*) may not reference a vmlinux symbol (the kernel refuses it: \"invalid access to vmlinux symbol\"); use KLP_RELOC_SYMBOL(vmlinux, %.*s, %lu)",
				   i, name, (int)ks->name.lp_obj.len,
				   ks->name.lp_obj.s, (int)ks->name.sym.len,
				   ks->name.sym.s, ks->name.sympos);
			continue;
		}
		ks->symidx = i;
		ks->new_name = xstrdup(new_name);
		ks->lp_obj = intern(&p->objs, ks->name.lp_obj.s,
				    ks->name.lp_obj.len);
		p->klp_of_sym[i] = (uint32_t)++p->nsyms;
	}
}

/* Count prefixed symbols first so syms never moves. */
static size_t count_prefixed(const struct elf_file *ef)
{
	size_t n = 0;

	for (size_t i = 1; i < ef->nsyms; i++)
		n += klp_is_prefixed(elf_sym_name(ef, i));
	return n;
}

static void check_modinfo(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t i = 1; i < ef->nsecs; i++) {
		const Elf_Data *data;

		if (strcmp(ef->secs[i].name, ".modinfo") != 0 ||
		    ef->secs[i].sh.sh_type != SHT_PROGBITS)
			continue;
		data = elf_sec_data(ef, i);
		if (data && klp_modinfo_is_livepatch(data->d_buf, data->d_size))
			return;
	}
	diag_error(p->d, "uses %zu klp_reloc.h symbol%s but .modinfo does not say livepatch=Y: the kernel would not treat it as a livepatch; add MODULE_INFO(livepatch, \"Y\")",
		   p->nsyms, p->nsyms == 1 ? "" : "s");
}

/* ------------------------------------------------------------------ */
/* Plan: the klp relocation sections                                  */
/* ------------------------------------------------------------------ */

static struct klp_sec *add_klp_sec(struct plan *p, uint32_t lp_obj,
				   size_t target)
{
	struct klp_sec *ks;

	if (p->nsecs == p->secs_cap) {
		p->secs_cap = p->secs_cap ? p->secs_cap * 2 : 16;
		p->secs = xrealloc(p->secs, p->secs_cap * sizeof(*p->secs));
	}
	ks = &p->secs[p->nsecs];
	memset(ks, 0, sizeof(*ks));
	ks->lp_obj = lp_obj;
	ks->target = target;
	ks->next = p->sec_of_target[target];
	p->sec_of_target[target] = ++p->nsecs;
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

		if (s->sh.sh_type != SHT_RELA ||
		    !(s->sh.sh_flags & SHF_RELA_LIVEPATCH) ||
		    strncmp(s->name, KLP_RELA_PREFIX,
			    sizeof(KLP_RELA_PREFIX) - 1) != 0 ||
		    s->sh.sh_info == 0 || s->sh.sh_info >= p->orig_nsecs)
			continue;
		dot = strchr(obj, '.');
		if (!dot)
			continue;
		ks = add_klp_sec(p, intern(&p->objs, obj, (size_t)(dot - obj)),
				 s->sh.sh_info);
		ks->idx = i;
		ks->exists = true;
	}
}

static void push_rela(struct klp_sec *ks, const Elf64_Rela *r)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 8;
		ks->relas = xrealloc(ks->relas, ks->cap * sizeof(*ks->relas));
	}
	ks->relas[ks->n++] = *r;
}

/* ------------------------------------------------------------------ */
/* Plan: the relocations                                              */
/* ------------------------------------------------------------------ */

static void reloc_error(struct plan *p, size_t target, const Elf64_Rela *r,
			const char *symname, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void reloc_error(struct plan *p, size_t target, const Elf64_Rela *r,
			const char *symname, const char *fmt, ...)
{
	char loc[512], cause[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	diag_error(p->d, "%s: symbol '%s': %s",
		   where(p, target, r->r_offset, loc, sizeof(loc)), symname,
		   cause);
}

/* What the kernel's loader does with a target section, by its name. */
enum target_kind {
	TARGET_PLAIN,
	TARGET_LOST,		/* never relocated: SHF_ALLOC cleared first */
	TARGET_INIT,		/* freed after the module's init */
	TARGET_SPECIAL,		/* processed while the livepatch loads */
};

static enum target_kind classify_target(const struct plan *p, size_t target)
{
	const char *name = p->ef->secs[target].name;

	/* The loader clears SHF_ALLOC of these before relocating. */
	if (strcmp(name, ".data..percpu") == 0 ||
	    strcmp(name, ".modinfo") == 0 || strcmp(name, "__versions") == 0)
		return TARGET_LOST;
	if (strncmp(name, ".init", 5) == 0)
		return TARGET_INIT;
	if (klp_is_special_section(p->arch, name))
		return TARGET_SPECIAL;
	return TARGET_PLAIN;
}

/* Would the kernel apply relocation R, for object LP_OBJ, into TARGET? */
static void check_klp_reloc(struct plan *p, size_t target,
			    enum target_kind kind, const Elf64_Rela *r,
			    const struct klp_sym *ks)
{
	const struct elf_file *ef = p->ef;
	const struct elf_sec *t = &ef->secs[target];
	const char *symname = elf_sym_name(ef, ks->symidx);
	uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
	const struct klp_reloc_type *rt = klp_arch_reloc(p->arch, type);
	char tname[64];
	uint64_t width = rt ? rt->width : 0;

	if (!rt || !rt->supported)
		reloc_error(p, target, r, symname,
			    "relocation type %s is not supported by the kernel's apply_relocate_add() on %s",
			    klp_reloc_type_name(p->arch, type, tname,
						sizeof(tname)),
			    p->arch->name);
	if (r->r_offset >= t->sh.sh_size ||
	    width > t->sh.sh_size - r->r_offset) {
		reloc_error(p, target, r, symname,
			    "relocation offset is past the end of the section (size 0x%" PRIx64 ")",
			    t->sh.sh_size);
		return;
	}
	if (p->arch->zero_check && width && t->sh.sh_type != SHT_NOBITS) {
		const unsigned char *loc = (const unsigned char *)ef->map +
					   t->orig_offset + r->r_offset;

		for (uint64_t k = 0; k < width; k++) {
			if (loc[k] == 0)
				continue;
			reloc_error(p, target, r, symname,
				    "the relocated location holds a nonzero value, so the kernel would refuse it (\"existing value is nonzero\"); relocations with an addend must leave zeros there");
			break;
		}
	}
	if (p->arch->e_machine == EM_RISCV &&
	    (type == R_RISCV_PCREL_HI20 || type == R_RISCV_GOT_HI20))
		reloc_error(p, target, r, symname,
			    "%s cannot be a klp relocation: its PCREL_LO12 partner names a local label and must stay behind, while the kernel looks for the pair in one relocation section; take the symbol's address through an exported pointer or a call instead",
			    klp_reloc_type_name(p->arch, type, tname,
						sizeof(tname)));
	if (kind == TARGET_LOST)
		reloc_error(p, target, r, symname,
			    "section '%s' is never relocated by the kernel's module loader, so this klp relocation would be lost",
			    t->name);
	if (ks->lp_obj == p->vmlinux)
		return;
	if (kind == TARGET_INIT)
		reloc_error(p, target, r, symname,
			    "a klp relocation for module '%s' in init section '%s' would be applied after the section is freed; move the reference out of __init code",
			    p->objs.names[ks->lp_obj], t->name);
	else if (kind == TARGET_SPECIAL)
		reloc_error(p, target, r, symname,
			    "a klp relocation for module '%s' in special section '%s', which the livepatch's own load processes before the relocation is applied; reference an exported or vmlinux symbol here instead",
			    p->objs.names[ks->lp_obj], t->name);
}

/* Check a relocation section's header; return false if it can't be read. */
static bool check_rel_section(struct plan *p, size_t idx, size_t entsize)
{
	const struct elf_file *ef = p->ef;
	const Elf64_Shdr *sh = &ef->secs[idx].sh;

	if (sh->sh_entsize != entsize || sh->sh_size % entsize) {
		diag_error(p->d, "[%zu] %s: entry size %" PRIu64 " or size 0x%" PRIx64 " does not fit %zu-byte entries",
			   idx, ef->secs[idx].name, sh->sh_entsize,
			   sh->sh_size, entsize);
		return false;
	}
	if (sh->sh_link != ef->symtab_idx || ef->symtab_idx == 0) {
		diag_error(p->d, "[%zu] %s: sh_link %u is not the symbol table",
			   idx, ef->secs[idx].name, sh->sh_link);
		return false;
	}
	if (sh->sh_info == 0 || sh->sh_info >= p->orig_nsecs ||
	    sh->sh_info == idx ||
	    ef->secs[sh->sh_info].sh.sh_type == SHT_RELA ||
	    ef->secs[sh->sh_info].sh.sh_type == SHT_REL) {
		diag_error(p->d, "[%zu] %s: sh_info %u is not a section relocations can apply to",
			   idx, ef->secs[idx].name, sh->sh_info);
		return false;
	}
	return true;
}

/* A REL section may not touch a prefixed symbol: livepatch is RELA-only. */
static void scan_rel_section(struct plan *p, size_t idx)
{
	struct elf_file *ef = p->ef;
	const Elf_Data *data;
	const Elf64_Rel *rel;
	size_t n;

	if (!check_rel_section(p, idx, sizeof(Elf64_Rel)))
		return;
	data = elf_sec_data(ef, idx);
	if (!data)
		return;
	rel = data->d_buf;
	n = data->d_size / sizeof(*rel);
	for (size_t i = 0; i < n; i++) {
		size_t symi = ELF64_R_SYM(rel[i].r_info);
		char loc[512];

		if (symi >= ef->nsyms) {
			diag_error(p->d, "[%zu] %s: entry %zu: symbol index %zu is past the end of .symtab",
				   idx, ef->secs[idx].name, i, symi);
			return;
		}
		if (!p->klp_of_sym[symi] ||
		    !elf_sec_is_alloc(&ef->secs[ef->secs[idx].sh.sh_info]))
			continue;
		diag_error(p->d, "%s: symbol '%s': REL relocation section [%zu] %s: livepatch needs RELA relocations (the kernel applies klp relocations with apply_relocate_add())",
			   where(p, ef->secs[idx].sh.sh_info, rel[i].r_offset,
				 loc, sizeof(loc)),
			   elf_sym_name(ef, symi), idx, ef->secs[idx].name);
		return;
	}
}

/*
 * One pass over a RELA section: relocations against prefixed symbols move
 * to their klp section, the rest are compacted in place, order kept.
 */
static void scan_rela_section(struct plan *p, size_t idx)
{
	struct elf_file *ef = p->ef;
	const struct elf_sec *s = &ef->secs[idx];
	size_t target = s->sh.sh_info, kept = 0, n;
	struct klp_sec *last = NULL;
	enum target_kind kind = TARGET_PLAIN;
	Elf_Data *data;
	Elf64_Rela *rela;
	bool alloc;

	if (!check_rel_section(p, idx, sizeof(Elf64_Rela)))
		return;
	data = elf_sec_data(ef, idx);
	if (!data)
		return;
	rela = data->d_buf;
	n = data->d_size / sizeof(*rela);
	alloc = elf_sec_is_alloc(&ef->secs[target]);

	for (size_t i = 0; i < n; i++) {
		size_t symi = ELF64_R_SYM(rela[i].r_info);
		const struct klp_sym *ks;

		if (symi >= ef->nsyms) {
			diag_error(p->d, "[%zu] %s: entry %zu: symbol index %zu is past the end of .symtab",
				   idx, s->name, i, symi);
			return;
		}
		if (!p->klp_of_sym[symi] || !alloc) {
			rela[kept++] = rela[i];
			continue;
		}
		ks = &p->syms[p->klp_of_sym[symi] - 1];
		if (!last)
			kind = classify_target(p, target);
		check_klp_reloc(p, target, kind, &rela[i], ks);
		if (!last || last->lp_obj != ks->lp_obj)
			last = find_klp_sec(p, ks->lp_obj, target);
		if (!last->src)
			last->src = idx;
		push_rela(last, &rela[i]);
	}
	if (kept != n) {
		ef->secs[idx].sh.sh_size = kept * sizeof(*rela);
		elf_sec_mark_dirty(ef, idx);
	}
}

static void scan_relocations(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t i = 1; i < p->orig_nsecs; i++) {
		const Elf64_Shdr *sh = &ef->secs[i].sh;

		if (sh->sh_type == SHT_REL)
			scan_rel_section(p, i);
		else if (sh->sh_type == SHT_RELA &&
			 !(sh->sh_flags & SHF_RELA_LIVEPATCH))
			scan_rela_section(p, i);
	}
}

/* First relocation that references SYMIDX, for a message's location. */
static bool first_reference(struct plan *p, size_t symidx, size_t *target,
			    const Elf64_Rela **r)
{
	struct elf_file *ef = p->ef;

	for (size_t i = 1; i < p->orig_nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];
		const Elf64_Rela *rela;
		size_t n;

		if (s->sh.sh_type != SHT_RELA || !s->data ||
		    !elf_sec_is_alloc(&ef->secs[s->sh.sh_info]))
			continue;
		rela = s->data->d_buf;
		n = s->sh.sh_size / sizeof(*rela);
		for (size_t k = 0; k < n; k++) {
			if (ELF64_R_SYM(rela[k].r_info) == symidx) {
				*target = s->sh.sh_info;
				*r = &rela[k];
				return true;
			}
		}
	}
	return false;
}

/* With --symvers: every undefined symbol left must be exported. */
static void check_exports(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t i = 1; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		const char *name = elf_sym_name(ef, i);
		const Elf64_Rela *r;
		size_t target;

		if (sym->st_shndx != SHN_UNDEF || p->klp_of_sym[i] ||
		    ELF64_ST_BIND(sym->st_info) == STB_WEAK || !*name ||
		    strcmp(name, ".TOC.") == 0 ||	/* ppc64: the loader's */
		    klp_symvers_has(p->opts->symvers, name))
			continue;
		if (first_reference(p, i, &target, &r))
			reloc_error(p, target, r, name,
				    "is not exported by the kernel or by a module in --symvers, so the module would fail to load (\"Unknown symbol\"); annotate its declaration with KLP_RELOC_SYMBOL(vmlinux, %s, 0) or name its module",
				    name);
		else
			diag_error(p->d, ".symtab entry %zu: symbol '%s': is not exported by the kernel or by a module in --symvers, so the module would fail to load (\"Unknown symbol\"); annotate its declaration with KLP_RELOC_SYMBOL(vmlinux, %s, 0) or name its module",
				   i, name, name);
	}
}

/* ------------------------------------------------------------------ */
/* Apply                                                              */
/* ------------------------------------------------------------------ */

static void rename_symbols(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t k = 0; k < p->nsyms; k++) {
		Elf64_Sym *sym = &ef->syms[p->syms[k].symidx];

		sym->st_name = elf_add_symbol_name(ef, p->syms[k].new_name);
		sym->st_shndx = SHN_LIVEPATCH;
	}
	if (p->nsyms)
		elf_sec_mark_dirty(ef, ef->symtab_idx);
}

static void create_klp_secs(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t k = 0; k < p->nsecs; k++) {
		struct klp_sec *ks = &p->secs[k];
		size_t size = ks->n * sizeof(Elf64_Rela);
		Elf64_Rela *buf;
		char *name;

		if (ks->n == 0)
			continue;
		if (ks->exists) {
			/* Old entries first, then the new ones. */
			const Elf_Data *old = elf_sec_data(ef, ks->idx);

			if (!old)
				INTERNAL_ERROR("existing klp section unreadable");
			buf = xmalloc(old->d_size + size);
			memcpy(buf, old->d_buf, old->d_size);
			memcpy((char *)buf + old->d_size, ks->relas, size);
			elf_sec_set_buf(ef, ks->idx, buf, old->d_size + size,
					ELF_T_RELA);
			continue;
		}
		Elf64_Shdr sh = {
			.sh_type = SHT_RELA,
			.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
			.sh_link = (Elf64_Word)ef->symtab_idx,
			.sh_info = (Elf64_Word)ks->target,
			.sh_addralign = 8,
			.sh_entsize = sizeof(Elf64_Rela),
			.sh_size = size,
		};

		/* section format: .klp.rela.<lp_obj_name>.<section name>,
		 * the section name with its leading dot, so the kernel's
		 * %55[^.] stops right after the object name.  */
		if (asprintf(&name, KLP_RELA_PREFIX "%s.%s",
			     p->objs.names[ks->lp_obj],
			     ef->secs[ks->target].name) < 0)
			INTERNAL_ERROR("out of memory");
		ks->idx = elf_add_section(ef, name, &sh, ks->relas, ELF_T_RELA);
		ks->relas = NULL;	/* the model owns it now */
		free(name);
	}
}

static void print_moves(struct plan *p)
{
	struct elf_file *ef = p->ef;

	for (size_t k = 0; k < p->nsecs; k++) {
		const struct klp_sec *ks = &p->secs[k];
		const struct elf_sec *s = &ef->secs[ks->idx];
		const Elf64_Rela *rela = s->buf;
		size_t first = ks->exists ? s->sh.sh_size / sizeof(*rela) - ks->n : 0;

		for (size_t i = first; i < first + ks->n; i++) {
			char loc[512], tname[64];
			size_t symi = ELF64_R_SYM(rela[i].r_info);

			diag_note(p->d, "%s: %s %s%+" PRId64 ": [%zu] %s -> [%zu] %s",
				  where(p, ks->target, rela[i].r_offset, loc,
					sizeof(loc)),
				  klp_reloc_type_name(p->arch,
					(uint32_t)ELF64_R_TYPE(rela[i].r_info),
					tname, sizeof(tname)),
				  p->syms[p->klp_of_sym[symi] - 1].new_name,
				  rela[i].r_addend, ks->src,
				  ef->secs[ks->src].name, ks->idx, s->name);
		}
	}
}

static void plan_free(struct plan *p)
{
	for (size_t k = 0; k < p->nsyms; k++)
		free(p->syms[k].new_name);
	for (size_t k = 0; k < p->nsecs; k++)
		free(p->secs[k].relas);
	free(p->syms);
	free(p->secs);
	free(p->klp_of_sym);
	free(p->sec_of_target);
	free(p->funcs);
	intern_free(&p->objs);
}

enum convert_result klp_convert(struct elf_file *ef,
				const struct convert_opts *opts,
				struct convert_stats *stats)
{
	struct plan p = {
		.ef = ef, .d = ef->diag, .opts = opts,
		.orig_nsecs = ef->nsecs,
	};
	size_t errors = ef->diag->errors;
	size_t nprefixed = count_prefixed(ef);
	enum convert_result ret;

	memset(stats, 0, sizeof(*stats));
	if (nprefixed == 0)
		return CONVERT_NOTHING;

	p.syms = xcalloc(nprefixed, sizeof(*p.syms));
	p.sec_of_target = xcalloc(ef->nsecs, sizeof(*p.sec_of_target));
	p.vmlinux = intern(&p.objs, KLP_VMLINUX, sizeof(KLP_VMLINUX) - 1);

	find_prefixed_symbols(&p);
	check_modinfo(&p);
	p.arch = klp_arch_find(ef->ehdr.e_machine);
	if (!p.arch || (ef->ehdr.e_machine == EM_PPC64 &&
			ef->data_enc == ELFDATA2MSB))
		diag_error(p.d, "machine %u%s: the kernel has no livepatch support for this architecture",
			   ef->ehdr.e_machine,
			   ef->data_enc == ELFDATA2MSB ? " (big-endian)" : "");
	if (ef->diag->errors == errors) {
		index_existing_klp_secs(&p);
		scan_relocations(&p);
	}
	if (ef->diag->errors == errors && opts->symvers)
		check_exports(&p);

	if (ef->diag->errors != errors) {
		ret = CONVERT_ERROR;
	} else {
		rename_symbols(&p);
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
