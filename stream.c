// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stream.c - the converter's straight path: the usual module, converted
 * in one pass over the input and written while it is read, with no model
 * of the file.
 *
 * "Usual" is what ld -r writes: the host's byte order; sections with
 * contents apart, before the section header table, the relocation
 * sections among them in index order and before .shstrtab (GNU ld -r
 * puts them after .strtab, gen-klp-object beside their targets); no REL
 * section; no klp section or klp symbol yet; one .modinfo, allocated,
 * saying livepatch=Y; no symbol object a typo away from vmlinux, no klp
 * relocation into a read-only section (the model's warnings); with
 * --symvers, every undefined symbol exported.  On top of that, every
 * klp_reloc.h name must convert, and every relocation that moves must
 * keep the kernel's rules (klp_reloc_problems(), which the plan and
 * --check use too), into a target fed by one relocation section.
 *
 * Anything else, and anything there would be to report, is declined
 * before the output is renamed into place: klp_convert() then plans,
 * reports and writes the file through the model, as it always did.  So
 * this path never reports a rule; it only makes the common case cheap.
 * Its output is the model's, byte for byte: the same layout rules (see
 * elf-file.c's layout()), and a test compares the two on every module the
 * tests convert.  What the model's check of its result would find on such
 * a module is what this path checks as it goes: the converted names, the
 * rules on each moved relocation, and the new sections' headers, which
 * it builds only one way.
 *
 * A big module's relocation sections are scanned from both ends: the
 * pass from the first on, and a thread of its own from the last back
 * (scan_ahead()), whose findings the pass takes over where they meet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "check.h"
#include "convert.h"
#include "elf-file.h"
#include "klp.h"

enum { MAX_OBJS = 254 };	/* object ids fit a byte, 0 meaning none */

struct straight_in {
	int fd;
	const char *map;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	size_t nsecs, shstrndx, symidx, stridx, xidx, modinfo;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strtab, *shstrtab;
	size_t strsize, shstrsize;
	const Elf32_Word *xndx;
	const struct klp_arch *arch;
	/* Sections with contents by offset, when that is not the index
	 * order (GNU ld -r puts relocation sections after .strtab);
	 * NULL: every section in index order.  */
	size_t *order, norder;
};

/* A klp relocation section to create: the entries of SRC for OBJ. */
struct straight_sec {
	uint32_t src, obj;
	uint64_t n;
};

struct names {
	char *p;
	size_t len, cap;
};

/*
 * One thread's relocation scan: its own lookups, and the counts of the
 * section at hand.  What it finds in a section is a list of feeds, one
 * per object whose klp section the section's entries go to, in the
 * order the entries meet them: (entries << 8) | object id.
 */
struct scanner {
	const struct straight_in *in;
	const uint8_t *obj_of;
	size_t vmlinux;
	const struct klp_reloc_type *rt_by_type[64];
	uint64_t count[MAX_OBJS + 1];	/* [obj]: its entries moving */
	uint8_t met[MAX_OBJS];		/* the objects met, in order */
};

/* Which side scans relocation section number R (see scan_ahead()). */
enum { AHEAD_FREE, AHEAD_MINE, AHEAD_TAKEN, AHEAD_DONE, AHEAD_DECLINED };

struct ahead {
	struct scanner sc;
	size_t *rela;			/* relocation sections, pass order */
	size_t nrela;
	_Atomic uint8_t *state;		/* [nrela] */
	size_t *first;			/* [nrela]: its first feed, */
	uint8_t *nfeeds;		/* how many */
	uint64_t *feeds;
	size_t taken;			/* sections it scanned */
	atomic_bool stop;
	struct xthread thread;
	bool running;
};

struct straight {
	struct straight_in in;
	const struct klp_symvers *symvers;	/* NULL: no export check */
	uint8_t *obj_of;		/* [nsyms]: object id + 1, or 0 */
	const char *objname[MAX_OBJS];	/* lp_obj names, in .strtab */
	size_t objlen[MAX_OBJS], nobjs;
	size_t vmlinux;			/* id + 1 of vmlinux, or 0 */
	size_t nconverted;
	struct names newstr;		/* converted names, symbol order */
	struct names newshstr;		/* new sections' names */
	uint32_t *kept;			/* [nsecs]: 1 + entries kept by a
					 * RELA section that loses some */
	uint8_t *fed;			/* [nsecs]: a target klp relocations
					 * come from */
	struct straight_sec *ks;
	size_t nks, ks_cap;
	uint64_t nmoved;
	Elf64_Rela *ents;		/* entries gathered for one write */
	size_t ents_cap;
	size_t slot[MAX_OBJS + 1];	/* write_klp_entries(): where the
					 * next entry for an object goes, */
	size_t slot_for[MAX_OBJS + 1];	/* valid for ks[slot_for - 1] */
	struct scanner sc;		/* the pass's own */
	uint64_t feeds[MAX_OBJS];	/* its feeds, one section's */
	struct ahead ahead;
	struct elf_stream *out;
	uint64_t *new_off;		/* [nsecs]: where sections after the
					 * tail went, when not in index order */
	uint64_t tail;			/* first offset laid out again */
	uint64_t cur;			/* the output's end so far */
	bool head_done;
};

/* ------------------------------------------------------------------ */
/* The input                                                          */
/* ------------------------------------------------------------------ */

static bool has_file_data(const Elf64_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_size > 0;
}

/* Section SH's bytes in the input; NULL when it has none, whose offset
 * nothing checked (read_headers() checks those with contents).  */
static const void *contents(const struct straight_in *in,
			    const Elf64_Shdr *sh)
{
	return has_file_data(sh) ? in->map + sh->sh_offset : NULL;
}

static bool nul_terminated_strtab(const struct straight_in *in, size_t idx)
{
	const Elf64_Shdr *sh = &in->sh[idx];

	return sh->sh_type == SHT_STRTAB && sh->sh_size > 0 &&
	       in->map[sh->sh_offset + sh->sh_size - 1] == '\0';
}

/* The header checks of convert.c's rel_header_problem(), plus what this
 * path reads in place.  */
static bool rela_header_ok(const struct straight_in *in, size_t idx)
{
	const Elf64_Shdr *sh = &in->sh[idx];
	size_t t = sh->sh_info;

	return sh->sh_entsize == sizeof(Elf64_Rela) &&
	       sh->sh_size % sizeof(Elf64_Rela) == 0 && sh->sh_offset % 8 == 0 &&
	       sh->sh_link == in->symidx && t != 0 && t < in->nsecs &&
	       t != idx && in->sh[t].sh_type != SHT_RELA &&
	       in->sh[t].sh_type != SHT_REL;
}

/*
 * The sections with contents by offset, as the model orders them (see
 * elf-file.c's sort_and_check_extents()): apart from each other, and the
 * relocation sections among them in index order, the order the model
 * creates klp sections in.  False to decline.
 */
static bool sort_by_offset(struct straight_in *in)
{
	uint64_t end = sizeof(Elf64_Ehdr);
	size_t last_rela = 0;

	in->order = xcalloc(in->nsecs, sizeof(*in->order));
	in->norder = elf_order_by_offset(in->sh, in->nsecs, in->order);
	for (size_t k = 0; k < in->norder; k++) {
		const Elf64_Shdr *sh = &in->sh[in->order[k]];

		if (sh->sh_offset < end)
			return false;
		end = sh->sh_offset + sh->sh_size;
		if (sh->sh_type == SHT_RELA) {
			if (in->order[k] < last_rela)
				return false;
			last_rela = in->order[k];
		}
	}
	return true;
}

/* The ELF header and the section header table, as the model reads them
 * (elf_load()), and in ld -r's layout; false to decline.  */
static bool read_headers(struct straight_in *in)
{
	const unsigned char host_enc =
		__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB
							  : ELFDATA2MSB;
	const Elf64_Ehdr *eh = (const void *)in->map;
	uint64_t prev_end = sizeof(*eh), table_end;
	bool sorted = true;

	if (in->size < sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != host_enc ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_type != ET_REL ||
	    eh->e_phnum != 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff < sizeof(*eh) || eh->e_shoff % 8 ||
	    eh->e_shoff > in->size - sizeof(Elf64_Shdr))
		return false;
	in->eh = eh;
	in->sh = (const void *)(in->map + eh->e_shoff);
	in->nsecs = eh->e_shnum ? eh->e_shnum : in->sh[0].sh_size;
	in->shstrndx = eh->e_shstrndx == SHN_XINDEX ? in->sh[0].sh_link
						    : eh->e_shstrndx;
	if (in->nsecs < 2 ||
	    in->nsecs > (in->size - eh->e_shoff) / sizeof(Elf64_Shdr) ||
	    in->shstrndx == 0 || in->shstrndx >= in->nsecs)
		return false;
	table_end = eh->e_shoff + in->nsecs * sizeof(Elf64_Shdr);

	for (size_t i = 1; i < in->nsecs; i++) {
		const Elf64_Shdr *sh = &in->sh[i];

		if ((sh->sh_addralign & (sh->sh_addralign - 1)) ||
		    sh->sh_type == SHT_REL ||
		    (sh->sh_flags & SHF_RELA_LIVEPATCH))
			return false;
		if (sh->sh_type == SHT_SYMTAB) {
			if (in->symidx)
				return false;
			in->symidx = i;
		}
		if (!has_file_data(sh))
			continue;
		sorted = sorted && sh->sh_offset >= prev_end;
		if (sh->sh_offset < sizeof(*eh) || sh->sh_offset > eh->e_shoff ||
		    sh->sh_size > eh->e_shoff - sh->sh_offset)
			return false;	/* not before the header table */
		prev_end = sh->sh_offset + sh->sh_size;
	}
	if (!sorted && !sort_by_offset(in))
		return false;
	if (table_end > in->size || !in->symidx ||
	    !nul_terminated_strtab(in, in->shstrndx))
		return false;
	in->shstrtab = in->map + in->sh[in->shstrndx].sh_offset;
	in->shstrsize = in->sh[in->shstrndx].sh_size;
	/* The names, and what read_symtab() and is_livepatch() look for,
	 * in one pass: it costs a few milliseconds on the huge module.  */
	for (size_t i = 0; i < in->nsecs; i++) {
		const Elf64_Shdr *sh = &in->sh[i];
		const char *name;

		if (sh->sh_name >= in->shstrsize)
			return false;
		name = in->shstrtab + sh->sh_name;
		if (name[0] == '.' && klp_starts_with(name, KLP_RELA_PREFIX))
			return false;	/* converted before */
		if (name[0] == '.' && klp_starts_with(name, ".modinfo") &&
		    name[8] == '\0') {
			if (in->modinfo)
				return false;	/* the loader reads one */
			in->modinfo = i;
		}
		/* every one, the empty ones too, which the pass over the
		 * sections with contents by offset does not meet */
		if (sh->sh_type == SHT_RELA && !rela_header_ok(in, i))
			return false;
		if (sh->sh_type == SHT_SYMTAB_SHNDX &&
		    sh->sh_link == in->symidx) {
			if (in->xidx)
				return false;
			in->xidx = i;
		}
	}
	return true;
}

/* .symtab, its names and its extended section indices; false to decline. */
static bool read_symtab(struct straight_in *in)
{
	const Elf64_Shdr *st = &in->sh[in->symidx];

	in->stridx = st->sh_link;
	if (st->sh_entsize != sizeof(Elf64_Sym) ||
	    st->sh_size % sizeof(Elf64_Sym) || st->sh_offset % 8 ||
	    in->stridx == 0 || in->stridx >= in->nsecs ||
	    in->stridx == in->shstrndx || !nul_terminated_strtab(in, in->stridx))
		return false;
	in->syms = contents(in, st);
	in->nsyms = st->sh_size / sizeof(Elf64_Sym);
	in->strtab = in->map + in->sh[in->stridx].sh_offset;
	in->strsize = in->sh[in->stridx].sh_size;
	if (st->sh_info > in->nsyms)
		return false;
	if (in->xidx) {
		const Elf64_Shdr *sh = &in->sh[in->xidx];

		if (sh->sh_offset % 4 ||
		    sh->sh_size != in->nsyms * sizeof(Elf32_Word))
			return false;
		in->xndx = contents(in, sh);
	}
	return true;
}

/* The .modinfo the loader reads says livepatch=Y, and it is the only one
 * (read_headers() found it).  */
static bool is_livepatch(const struct straight_in *in)
{
	const Elf64_Shdr *sh = &in->sh[in->modinfo];

	return in->modinfo && sh->sh_type == SHT_PROGBITS &&
	       (sh->sh_flags & SHF_ALLOC) && has_file_data(sh) &&
	       klp_modinfo_livepatch(in->map + sh->sh_offset, sh->sh_size) ==
	       KLP_TAG_Y;
}

static bool straight_open(struct straight_in *in, const char *path,
			  struct stat *st)
{
	void *map;

	in->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);	/* a FIFO */
	if (in->fd < 0 || fstat(in->fd, st) != 0 || !S_ISREG(st->st_mode) ||
	    st->st_size <= 0 || (uint64_t)st->st_size > SIZE_MAX / 2)
		return false;
	in->size = (size_t)st->st_size;
	map = mmap(NULL, in->size, PROT_READ, MAP_PRIVATE, in->fd, 0);
	if (map == MAP_FAILED)
		return false;
	in->map = map;
	if (!read_headers(in) || !read_symtab(in) || !is_livepatch(in) ||
	    klp_is_signed(in->map, in->size))
		return false;
	in->arch = klp_arch_find(in->eh->e_machine);
	if (!in->arch)
		return false;
	klp_special_sections_prepare(in->arch);
	return true;
}

static void straight_close(struct straight_in *in)
{
	free(in->order);
	if (in->map)
		munmap((void *)in->map, in->size);
	if (in->fd >= 0)
		close(in->fd);
}

/* ------------------------------------------------------------------ */
/* The symbols                                                        */
/* ------------------------------------------------------------------ */

/* Room for N more bytes at the end of T, valid until the next call; the
 * caller adds what it wrote to T->len.  */
static char *names_room(struct names *t, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = (t->len + n) * 2 + 4096;

		t->p = xbig_realloc(t->p, t->cap, cap);
		t->cap = cap;
	}
	return t->p + t->len;
}

/* OBJ's id, new if need be; 0 to decline: too many objects, or one a
 * typo away from vmlinux.  */
static size_t object_id(struct straight *p, const struct klp_span *obj)
{
	for (size_t k = 0; k < p->nobjs; k++)
		if (klp_span_eq(*obj, (struct klp_span){ p->objname[k],
							p->objlen[k] }))
			return k + 1;
	if (p->nobjs == MAX_OBJS || klp_objname_like_vmlinux(obj->s, obj->len))
		return 0;
	p->objname[p->nobjs] = obj->s;
	p->objlen[p->nobjs] = obj->len;
	if (klp_span_is(*obj, KLP_VMLINUX))
		p->vmlinux = p->nobjs + 1;
	return ++p->nobjs;
}

/*
 * Which symbols klp_reloc.h made, what they become; false to decline:
 * a symbol the model reads differently or reports, a klp symbol already
 * there, or nothing to convert.
 */
static bool find_symbols(struct straight *p)
{
	const struct straight_in *in = &p->in;
	char why[256];

	p->obj_of = xcalloc(in->nsyms, 1);
	for (size_t i = 0; i < in->nsyms; i++) {
		const Elf64_Sym *sym = &in->syms[i];
		size_t shndx = sym->st_shndx;
		const char *name;
		struct klp_name kn;
		size_t id;

		if (sym->st_name >= in->strsize)
			return false;
		if (shndx == SHN_XINDEX) {
			if (!in->xndx)
				return false;
			shndx = in->xndx[i];
		}
		if ((sym->st_shndx == SHN_XINDEX ||
		     sym->st_shndx < SHN_LORESERVE) && shndx >= in->nsecs)
			return false;
		if (sym->st_shndx == SHN_LIVEPATCH)
			return false;
		name = in->strtab + sym->st_name;
		if (p->symvers &&
		    klp_export_missing(in->eh->e_machine, sym, name, p->symvers))
			return false;
		if (!klp_starts_with(name, KLP_SYM_PREFIX))
			continue;
		/* .klp.sym.rela.*, undefined, converting cleanly (any other
		 * .klp.sym.* is a klp symbol already); klp_parse_name()
		 * writes the new name at the end of newstr, in symbol order:
		 * .klp.sym.<sym_obj_name>.<sym_name>,<sympos> */
		if (i == 0 || shndx != SHN_UNDEF ||
		    klp_parse_name(name, &kn,
				   names_room(&p->newstr, KLP_SYMNAME_MAX + 1),
				   why, sizeof(why)) != KLP_NAME_OK)
			return false;
		/* The model's reports; and its result check's warnings
		 * for an object a typo away from vmlinux (object_id()
		 * asks that once per lp_obj).  */
		if ((!klp_span_is(kn.lp_obj, KLP_VMLINUX) &&
		     klp_span_is(kn.sym_obj, KLP_VMLINUX)) ||
		    (!klp_span_eq(kn.sym_obj, kn.lp_obj) &&
		     klp_objname_like_vmlinux(kn.sym_obj.s, kn.sym_obj.len)))
			return false;
		id = object_id(p, &kn.lp_obj);
		if (!id)
			return false;
		p->obj_of[i] = (uint8_t)id;
		p->newstr.len += kn.new_len + 1;
		p->nconverted++;
	}
	if (in->strsize + p->newstr.len > UINT32_MAX)
		return false;
	return p->nconverted > 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* As elf-file.c's layout() aligns file offsets (at most a page). */
static uint64_t align_up(uint64_t x, uint64_t align)
{
	if (align <= 1)
		return x;
	if (align > 4096)
		align = 4096;
	return (x + align - 1) & ~(align - 1);
}

/* Everything before TAIL: the input's bytes, renamed symbols spliced in
 * when .symtab lies there.  */
static void write_symtab(struct straight *p);

static void write_head(struct straight *p, uint64_t tail)
{
	const Elf64_Shdr *st = &p->in.sh[p->in.symidx];

	p->tail = p->cur = tail;
	p->head_done = true;
	if (st->sh_offset + st->sh_size <= tail && st->sh_size) {
		elf_stream_input(p->out, 0, st->sh_offset);
		write_symtab(p);
		elf_stream_input(p->out, st->sh_offset + st->sh_size,
				 tail - st->sh_offset - st->sh_size);
	} else {
		elf_stream_input(p->out, 0, tail);
	}
}

/* Pad to where section IDX goes; false if it lies in the head. */
static bool place(struct straight *p, size_t idx, uint64_t size)
{
	const Elf64_Shdr *sh = &p->in.sh[idx];

	/* Sections come in offset order: before the tail is known, each
	 * lies in the head.  */
	if (!p->head_done || !has_file_data(sh) || sh->sh_offset < p->tail)
		return false;
	p->cur = align_up(p->cur, sh->sh_addralign);
	elf_stream_zero(p->out, p->cur - elf_stream_pos(p->out));
	if (p->new_off)
		p->new_off[idx] = p->cur;
	p->cur += size;
	return true;
}

/*
 * Records built one by one go to the stream a few kilobytes at a time:
 * one call there for each record cost more than building it.
 */
struct batch {
	struct elf_stream *out;
	size_t len;
	_Alignas(8) unsigned char buf[4096];
};

static void batch_flush(struct batch *b)
{
	elf_stream_bytes(b->out, b->buf, b->len);
	b->len = 0;
}

/* Room for a record of N bytes (a multiple of 8, at most the buffer). */
static void *batch_room(struct batch *b, size_t n)
{
	void *room;

	if (b->len + n > sizeof(b->buf))
		batch_flush(b);
	room = b->buf + b->len;
	b->len += n;
	return room;
}

static void write_symtab(struct straight *p)
{
	const struct straight_in *in = &p->in;
	size_t name = in->strsize;
	struct batch b = { .out = p->out };

	for (size_t i = 0; i < in->nsyms; i++) {
		Elf64_Sym *s = batch_room(&b, sizeof(*s));

		*s = in->syms[i];
		if (p->obj_of[i]) {
			s->st_name = (Elf64_Word)name;
			s->st_shndx = SHN_LIVEPATCH;
			name += strlen(p->newstr.p + (name - in->strsize)) + 1;
		}
	}
	batch_flush(&b);
}

/* A string table: the input's, then NEW. */
static void write_extended(struct straight *p, size_t idx,
			   const struct names *add)
{
	const Elf64_Shdr *sh = &p->in.sh[idx];

	if (!place(p, idx, sh->sh_size + add->len))
		INTERNAL_ERROR("a growing string table in the head");
	elf_stream_input(p->out, sh->sh_offset, sh->sh_size);
	elf_stream_kept(p->out, add->p, add->len);
}

/* Room for N entries in P->ents. */
static Elf64_Rela *ents(struct straight *p, size_t n)
{
	if (n > p->ents_cap) {
		size_t cap = n > 2 * p->ents_cap ? n : 2 * p->ents_cap;

		p->ents = xbig_realloc(p->ents, p->ents_cap * sizeof(*p->ents),
				       cap * sizeof(*p->ents));
		p->ents_cap = cap;
	}
	return p->ents;
}

/* The KEPT entries of the N at RELA that stay (no klp symbol). */
static void write_kept(struct straight *p, const Elf64_Rela *rela, size_t n,
		       size_t kept)
{
	Elf64_Rela *to = ents(p, kept);
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!p->obj_of[ELF64_R_SYM(rela[i].r_info)])
			to[k++] = rela[i];
	elf_stream_bytes(p->out, to, k * sizeof(*to));
}

/*
 * The klp sections P->ks[FIRST..] fed by one relocation section, each
 * with its object's entries in their order, in one pass over it: where
 * each section's entries start is known from the counts.  Return the
 * index of the next source's first klp section.
 */
static size_t write_klp_entries(struct straight *p, size_t first)
{
	const Elf64_Shdr *sh = &p->in.sh[p->ks[first].src];
	const Elf64_Rela *rela = contents(&p->in, sh);
	size_t n = sh->sh_size / sizeof(*rela), next = first, moved = 0;
	Elf64_Rela *to;

	for (; next < p->nks && p->ks[next].src == p->ks[first].src; next++) {
		p->slot[p->ks[next].obj] = moved;
		p->slot_for[p->ks[next].obj] = first + 1;
		moved += p->ks[next].n;
	}
	to = ents(p, moved);
	for (size_t i = 0; i < n; i++) {
		uint8_t obj = p->obj_of[ELF64_R_SYM(rela[i].r_info)];

		if (!obj)
			continue;
		/* scan_rela() gave every object met here a klp section */
		if (p->slot_for[obj] != first + 1)
			INTERNAL_ERROR("a klp entry without its section");
		to[p->slot[obj]++] = rela[i];
	}
	elf_stream_bytes(p->out, to, moved * sizeof(*to));
	return next;
}

/* ------------------------------------------------------------------ */
/* The relocations                                                    */
/* ------------------------------------------------------------------ */

/* Relocation entries below which the scan stays on one thread. */
enum { SCAN_AHEAD_MIN = 65536 };

static bool moves_ok(struct scanner *sc, size_t target, const Elf64_Rela *r,
		     uint8_t obj, int *kind)
{
	const struct straight_in *in = sc->in;
	const Elf64_Shdr *tsh = &in->sh[target];
	const struct klp_reloc_type *rt = klp_arch_reloc_cached(in->arch,
		sc->rt_by_type, (uint32_t)ELF64_R_TYPE(r->r_info));

	/* The result check's warning: klp relocations into a read-only
	 * section.  */
	if (!(tsh->sh_flags & (SHF_WRITE | SHF_EXECINSTR)))
		return false;
	if (*kind < 0)
		*kind = (int)klp_target_kind(in->arch,
					     in->shstrtab + tsh->sh_name);
	return klp_reloc_problems(in->arch, rt, tsh, contents(in, tsh),
				  (enum klp_target_kind)*kind, r,
				  obj != sc->vmlinux) == 0;
}

/* Entries ahead of the one at hand whose target bytes are fetched. */
enum { PREFETCH_AHEAD = 8 };

static void prefetch_target(const char *bytes, const Elf64_Shdr *tsh,
			    const Elf64_Rela *r)
{
	if (r->r_offset < tsh->sh_size)
		__builtin_prefetch(bytes + r->r_offset);
}

/*
 * Check each entry of RELA section IDX that moves, and list its feeds
 * at FEEDS (room for one per object): *NFEEDS.  False to decline; the
 * scanner is then done with.
 */
static bool scan_entries(struct scanner *sc, size_t idx, uint64_t *feeds,
			 size_t *nfeeds)
{
	const struct straight_in *in = sc->in;
	const Elf64_Shdr *sh = &in->sh[idx], *tsh = &in->sh[sh->sh_info];
	const Elf64_Rela *rela = contents(in, sh);
	size_t n = sh->sh_size / sizeof(*rela), nmet = 0;
	bool alloc = tsh->sh_flags & SHF_ALLOC;
	/* Where klp_reloc_problems() reads: a miss there, in the file's
	 * mapping, was two thirds of its time.  */
	const char *bytes = alloc ? contents(in, tsh) : NULL;
	int kind = -1;

	*nfeeds = 0;
	for (size_t i = 0; bytes && i < n && i < PREFETCH_AHEAD; i++)
		prefetch_target(bytes, tsh, &rela[i]);
	/* read_headers() checked the header */
	for (size_t i = 0; i < n; i++) {
		size_t symi = ELF64_R_SYM(rela[i].r_info);
		uint8_t obj;

		if (bytes && i + PREFETCH_AHEAD < n)
			prefetch_target(bytes, tsh, &rela[i + PREFETCH_AHEAD]);
		if (symi >= in->nsyms)
			return false;
		obj = sc->obj_of[symi];
		if (!obj || !alloc)
			continue;
		if (!moves_ok(sc, sh->sh_info, &rela[i], obj, &kind))
			return false;
		if (sc->count[obj]++ == 0)
			sc->met[nmet++] = obj;
	}
	for (size_t k = 0; k < nmet; k++) {
		feeds[k] = sc->count[sc->met[k]] << 8 | sc->met[k];
		sc->count[sc->met[k]] = 0;
	}
	*nfeeds = nmet;
	return true;
}

/*
 * The scan ahead, on a thread of its own for a big module: from the last
 * relocation section back, each section is scanned as the pass would,
 * its feeds kept for the pass.  The pass, going forward, claims each
 * section it comes to before scanning it; the first it finds claimed
 * here, and every one after, it takes from here.  The two meet where
 * the pass's writing and this scan have taken the same time.
 */
static void *scan_ahead(void *arg)
{
	struct ahead *a = arg;
	size_t used = 0;

	for (size_t r = a->nrela; r-- > 0;) {
		uint8_t state = AHEAD_FREE;
		size_t nf;
		bool ok;

		if (atomic_load_explicit(&a->stop, memory_order_relaxed) ||
		    !atomic_compare_exchange_strong(&a->state[r], &state,
						    AHEAD_TAKEN))
			break;
		ok = scan_entries(&a->sc, a->rela[r], a->feeds + used, &nf);
		a->first[r] = used;
		a->nfeeds[r] = (uint8_t)nf;
		used += nf;
		a->taken++;
		atomic_store_explicit(&a->state[r],
				      ok ? AHEAD_DONE : AHEAD_DECLINED,
				      memory_order_release);
		if (!ok)
			break;
	}
	return NULL;
}

/* Start the scan ahead when the relocations are many; it runs only
 * where xthread_start_elsewhere() finds another CPU.  */
static void ahead_start(struct straight *p)
{
	const struct straight_in *in = &p->in;
	struct ahead *a = &p->ahead;
	size_t n = in->order ? in->norder : in->nsecs - 1;
	uint64_t total = 0, bound = 0;

	for (size_t i = 1; i < in->nsecs; i++)
		if (in->sh[i].sh_type == SHT_RELA)
			total += in->sh[i].sh_size / sizeof(Elf64_Rela);
	if (total < SCAN_AHEAD_MIN)
		return;
	a->rela = xmalloc(n * sizeof(*a->rela));
	for (size_t k = 0; k < n; k++) {
		size_t i = in->order ? in->order[k] : k + 1;
		uint64_t entries = in->sh[i].sh_size / sizeof(Elf64_Rela);

		if (in->sh[i].sh_type != SHT_RELA)
			continue;
		a->rela[a->nrela++] = i;
		bound += entries < p->nobjs ? entries : p->nobjs;
	}
	a->sc = p->sc;
	a->state = xcalloc(a->nrela, sizeof(*a->state));
	a->first = xmalloc(a->nrela * sizeof(*a->first));
	a->nfeeds = xmalloc(a->nrela);
	/* Only what it writes is touched. */
	a->feeds = xmalloc(bound * sizeof(*a->feeds));
	/* On the pass's own CPU it would only take turns with the pass. */
	a->running = xthread_start_elsewhere(&a->thread, scan_ahead, a);
}

static void ahead_stop(struct ahead *a)
{
	if (a->running) {
		atomic_store_explicit(&a->stop, true, memory_order_relaxed);
		xthread_join(&a->thread);
		a->running = false;
	}
}

/*
 * The feeds of relocation section IDX, number R in the pass: scanned
 * ahead, or here.  False to decline.
 */
static bool section_feeds(struct straight *p, size_t idx, size_t r,
			  const uint64_t **feeds, size_t *nfeeds)
{
	struct ahead *a = &p->ahead;
	uint8_t state = AHEAD_FREE;

	if (a->running && !atomic_compare_exchange_strong(&a->state[r], &state,
							  AHEAD_MINE)) {
		/* Taken: the thread is on it, and on no other. */
		while (state == AHEAD_TAKEN) {
			sched_yield();
			state = atomic_load_explicit(&a->state[r],
						     memory_order_acquire);
		}
		*feeds = a->feeds + a->first[r];
		*nfeeds = a->nfeeds[r];
		return state == AHEAD_DONE;
	}
	*feeds = p->feeds;
	return scan_entries(&p->sc, idx, p->feeds, nfeeds);
}

/* A new klp section: object OBJ's N entries from section IDX (a feed
 * names each object once, so each feed is a section of its own).  */
static void add_klp_sec(struct straight *p, size_t idx, uint8_t obj,
			uint64_t n)
{
	if (p->nks == p->ks_cap) {
		size_t cap = p->ks_cap ? 2 * p->ks_cap : 256;

		p->ks = xbig_realloc(p->ks, p->ks_cap * sizeof(*p->ks),
				     cap * sizeof(*p->ks));
		p->ks_cap = cap;
	}
	p->ks[p->nks++] = (struct straight_sec){
		.src = (uint32_t)idx, .obj = obj, .n = n,
	};
}

/*
 * One RELA section, number R in the pass: check each entry that moves,
 * plan its klp sections, and write what it keeps.  False to decline.
 */
static bool scan_rela(struct straight *p, size_t idx, size_t r)
{
	const Elf64_Shdr *sh = &p->in.sh[idx];
	size_t n = sh->sh_size / sizeof(Elf64_Rela), target = sh->sh_info;
	size_t kept = n, nfeeds;
	const uint64_t *feeds;

	if (!section_feeds(p, idx, r, &feeds, &nfeeds))
		return false;
	for (size_t k = 0; k < nfeeds; k++) {
		add_klp_sec(p, idx, (uint8_t)feeds[k], feeds[k] >> 8);
		kept -= feeds[k] >> 8;
	}
	if (kept == n) {
		if (place(p, idx, sh->sh_size))
			elf_stream_input(p->out, sh->sh_offset, sh->sh_size);
		return true;
	}
	/* One relocation section per target: else the model merges. */
	if (p->fed[target])
		return false;
	p->fed[target] = 1;
	p->kept[idx] = (uint32_t)kept + 1;
	p->nmoved += n - kept;
	if (!p->head_done)
		write_head(p, sh->sh_offset);
	if (!place(p, idx, kept * sizeof(Elf64_Rela)))
		INTERNAL_ERROR("a shrinking section in the head");
	write_kept(p, contents(&p->in, sh), n, kept);
	return true;
}

/* ------------------------------------------------------------------ */
/* The section headers                                                */
/* ------------------------------------------------------------------ */

/* .klp.rela.<obj>.<target name> (the target's name has its leading dot,
 * so the kernel's %55[^.] stops right after the object name).  */
static void add_klp_name(struct straight *p, const struct straight_sec *ks)
{
	const char *target = p->in.shstrtab +
			     p->in.sh[p->in.sh[ks->src].sh_info].sh_name;
	size_t pre = sizeof(KLP_RELA_PREFIX) - 1, olen = p->objlen[ks->obj - 1];
	size_t tlen = strlen(target) + 1, n = pre + olen + 1 + tlen;
	char *q = names_room(&p->newshstr, n);

	memcpy(q, KLP_RELA_PREFIX, pre);
	memcpy(q + pre, p->objname[ks->obj - 1], olen);
	q[pre + olen] = '.';
	memcpy(q + pre + olen + 1, target, tlen);
	p->newshstr.len += n;
}

/* The input's headers with the new offsets and sizes, then the new ones:
 * TOTAL in all.  */
static void write_headers(struct straight *p, uint64_t klp_off, size_t total)
{
	const struct straight_in *in = &p->in;
	uint64_t cur = p->tail, name = in->shstrsize;
	struct batch b = { .out = p->out };

	for (size_t i = 0; i < in->nsecs; i++) {
		Elf64_Shdr *h = batch_room(&b, sizeof(*h));

		*h = in->sh[i];

		if (p->kept[i])
			h->sh_size = (p->kept[i] - 1) * sizeof(Elf64_Rela);
		if (i == in->stridx)
			h->sh_size += p->newstr.len;
		if (i == in->shstrndx)
			h->sh_size += p->newshstr.len;
		if (i == 0) {
			h->sh_size = total >= SHN_LORESERVE ? total : 0;
			if (in->shstrndx >= SHN_LORESERVE)
				h->sh_link = (Elf64_Word)in->shstrndx;
		} else if (has_file_data(&in->sh[i])) {
			/* In index order, place()'s steps again. */
			if (h->sh_offset >= p->tail && p->new_off) {
				h->sh_offset = p->new_off[i];
			} else if (h->sh_offset >= p->tail) {
				cur = align_up(cur, h->sh_addralign);
				h->sh_offset = cur;
				cur += h->sh_size;
			}
		} else if (h->sh_offset >= p->tail) {
			h->sh_offset = p->tail;
		}
	}
	for (size_t k = 0; k < p->nks; k++) {
		Elf64_Shdr *h = batch_room(&b, sizeof(*h));

		*h = (Elf64_Shdr){
			.sh_name = (Elf64_Word)name,
			.sh_type = SHT_RELA,
			.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
			.sh_offset = klp_off,
			.sh_size = p->ks[k].n * sizeof(Elf64_Rela),
			.sh_link = (Elf64_Word)in->symidx,
			.sh_info = in->sh[p->ks[k].src].sh_info,
			.sh_addralign = 8,
			.sh_entsize = sizeof(Elf64_Rela),
		};
		klp_off += h->sh_size;
		name += strlen(p->newshstr.p + (name - in->shstrsize)) + 1;
	}
	batch_flush(&b);
}

/* ------------------------------------------------------------------ */
/* The pass                                                           */
/* ------------------------------------------------------------------ */

/*
 * Sections in offset order: relocation sections scanned and written, the
 * rest copied, .symtab and the string tables rewritten; then the klp
 * sections and the headers.  False to decline.
 */
static bool convert_and_write(struct straight *p, Elf64_Ehdr *ehdr)
{
	const struct straight_in *in = &p->in;
	size_t n = in->order ? in->norder : in->nsecs - 1, total, r = 0;
	uint64_t klp_off, shoff;
	bool names_written = false;

	for (size_t k = 0; k < n; k++) {
		size_t i = in->order ? in->order[k] : k + 1;
		const Elf64_Shdr *sh = &in->sh[i];

		if (sh->sh_type == SHT_RELA) {
			/* .shstrtab is written once every relocation is
			 * planned: none may follow it.  */
			if (names_written || !scan_rela(p, i, r++))
				return false;
			continue;
		}
		names_written = names_written || i == in->shstrndx;
		if (i == in->stridx || (i == in->shstrndx && p->nks)) {
			if (!p->head_done)
				write_head(p, sh->sh_offset);
			if (i == in->shstrndx)
				for (size_t j = 0; j < p->nks; j++)
					add_klp_name(p, &p->ks[j]);
			write_extended(p, i, i == in->stridx ? &p->newstr
							     : &p->newshstr);
		} else if (i == in->symidx) {
			if (place(p, i, sh->sh_size))
				write_symtab(p);
		} else if (place(p, i, sh->sh_size)) {
			elf_stream_input(p->out, sh->sh_offset, sh->sh_size);
		}
	}
	if (!p->head_done)
		INTERNAL_ERROR("no string table grew");

	/* The new sections, in the order they were first met. */
	total = in->nsecs + p->nks;
	klp_off = p->cur = align_up(p->cur, 8);
	elf_stream_zero(p->out, p->cur - elf_stream_pos(p->out));
	elf_stream_reserve(p->out, align_up(p->cur + p->nmoved *
					    sizeof(Elf64_Rela), 8) +
			   total * sizeof(Elf64_Shdr));
	for (size_t k = 0; k < p->nks;)
		k = write_klp_entries(p, k);
	p->cur += p->nmoved * sizeof(Elf64_Rela);
	shoff = align_up(p->cur, 8);
	elf_stream_zero(p->out, shoff - elf_stream_pos(p->out));
	write_headers(p, klp_off, total);

	*ehdr = *in->eh;
	ehdr->e_shoff = shoff;
	ehdr->e_shnum = total >= SHN_LORESERVE ? 0 : (Elf64_Half)total;
	if (in->shstrndx >= SHN_LORESERVE)
		ehdr->e_shstrndx = SHN_XINDEX;
	return true;
}

static void straight_free(struct straight *p)
{
	free(p->obj_of);
	free(p->kept);
	free(p->fed);
	free(p->ahead.rela);
	free((void *)p->ahead.state);
	free(p->ahead.first);
	free(p->ahead.nfeeds);
	free(p->ahead.feeds);
	xbig_free(p->ents, p->ents_cap * sizeof(*p->ents));
	free(p->new_off);
	xbig_free(p->ks, p->ks_cap * sizeof(*p->ks));
	xbig_free(p->newstr.p, p->newstr.cap);
	xbig_free(p->newshstr.p, p->newshstr.cap);
	straight_close(&p->in);
}

enum convert_result klp_convert_straight(struct diag *d, const char *path,
					 const char *out_path,
					 const struct klp_symvers *symvers,
					 struct convert_stats *stats)
{
	struct straight p = { .in = { .fd = -1 }, .symvers = symvers };
	enum convert_result ret = CONVERT_DECLINED;
	struct stat st;
	Elf64_Ehdr ehdr;
	bool ok;

	if (!straight_open(&p.in, path, &st) || !find_symbols(&p))
		goto out;
	p.kept = xcalloc(p.in.nsecs, sizeof(*p.kept));
	p.fed = xcalloc(p.in.nsecs, 1);
	p.sc = (struct scanner){ .in = &p.in, .obj_of = p.obj_of,
				 .vmlinux = p.vmlinux };
	if (p.in.order)
		p.new_off = xcalloc(p.in.nsecs, sizeof(*p.new_off));
	p.out = elf_stream_open(d, out_path, p.in.fd, p.in.map, p.in.size);
	if (!p.out) {
		ret = CONVERT_ERROR;	/* reported */
		goto out;
	}
	ahead_start(&p);
	ok = convert_and_write(&p, &ehdr);
	ahead_stop(&p.ahead);	/* before straight_free(): it reads obj_of
				 * and the input */
	if (!ok) {
		elf_stream_abort(p.out);
		goto out;
	}
	ret = elf_stream_finish(p.out, &ehdr, out_path, &st) == 0
		? CONVERT_DONE : CONVERT_ERROR;
	memset(stats, 0, sizeof(*stats));
	stats->symbols = p.nconverted;
	stats->relocs = p.nmoved;
	stats->sections = p.nks;
	stats->scan_threads = p.ahead.taken ? 2 : 1;
out:
	straight_free(&p);
	return ret;
}
