// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * elf-file.c - read one ELF64 relocatable object and write it back changed.
 *
 * Reading: the input is mapped privately (copy-on-write) and read in
 * place.  Headers and contents in the host's byte order are used where
 * they lie (copied when misaligned), so the symbol table and relocation
 * arrays can be edited in place; a foreign byte order is translated by
 * libelf (elf64_xlatetom) into buffers of their own.  libelf's own
 * per-section tables are not built: on a module with 200,000 sections
 * they cost more time and memory than the whole conversion.  Every
 * structural fact the rest of the tool relies on is checked here, once,
 * and reported in the common message shape; after elf_open() succeeds,
 * indices and offsets inside the model can be trusted.
 *
 * Writing: see elf_write().  The output is built in a temporary file next
 * to the destination and renamed over it, so an interrupted or failed run
 * never leaves a half-written object, and the input is never opened for
 * writing.
 */
#define _GNU_SOURCE
#include "elf-file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>	/* EXT4_SUPER_MAGIC, BTRFS_SUPER_MAGIC */

#define sec_error(ef, idx, fmt, ...)					\
	diag_error((ef)->diag, "[%zu] %s: " fmt, (size_t)(idx),		\
		   (ef)->secs[idx].name ? (ef)->secs[idx].name : "?",	\
		   ##__VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Storage                                                            */
/* ------------------------------------------------------------------ */

/* Headers of new sections come from blocks that never move, so pointers
 * to them stay valid while sections are added.  */
struct elf_arena_block {
	struct elf_arena_block *next;
	size_t used, size;
	max_align_t data[];
};

static size_t arena_round(size_t n)
{
	return (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
}

/* Make sure the arena can give N more bytes from one block: a single
 * block when sizes are known ahead (a mapping of its own, see
 * xbig_realloc), 1 MiB at a time otherwise.  */
static void arena_reserve(struct elf_arena *a, size_t n)
{
	struct elf_arena_block *b = a->blocks;
	size_t size;

	n = arena_round(n);
	if (b && b->size - b->used >= n)
		return;
	size = n > (1u << 20) ? n : (1u << 20);
	b = xbig_realloc(NULL, 0, sizeof(*b) + size);
	b->next = a->blocks;
	b->used = 0;
	b->size = size;
	a->blocks = b;
}

static void *arena_alloc(struct elf_arena *a, size_t n)
{
	struct elf_arena_block *b;
	void *p;

	arena_reserve(a, n);
	b = a->blocks;
	p = (char *)b->data + b->used;
	b->used += arena_round(n);
	return p;
}

static void arena_free(struct elf_arena *a)
{
	while (a->blocks) {
		struct elf_arena_block *b = a->blocks;

		a->blocks = b->next;
		xbig_free(b, sizeof(*b) + b->size);
	}
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

static bool is_pow2_or_zero(uint64_t x)
{
	return (x & (x - 1)) == 0;
}

/* Does [off, off + size) lie inside the file? */
static bool in_file(const struct elf_file *ef, uint64_t off, uint64_t size)
{
	return off <= ef->size && size <= ef->size - off;
}

struct extent {
	uint64_t start;
	size_t idx;
};

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t elf_order_by_offset(const Elf64_Shdr *table, size_t nsecs,
			   size_t *order)
{
	bool sorted = true;
	size_t n = 0;

	/* ld -r writes sections in index order: then the index order is
	 * the offset order, and no copy of the extents is needed.  */
	for (size_t i = 1; i < nsecs; i++) {
		const Elf64_Shdr *sh = &table[i];

		if (!elf_sec_has_file_data(sh))
			continue;
		if (n > 0 && sh->sh_offset < table[order[n - 1]].sh_offset)
			sorted = false;
		order[n++] = i;
	}
	if (!sorted) {
		struct extent *ext = xbig_realloc(NULL, 0, n * sizeof(*ext));

		for (size_t k = 0; k < n; k++)
			ext[k] = (struct extent){
				table[order[k]].sh_offset, order[k]
			};
		qsort(ext, n, sizeof(*ext), cmp_extent);
		for (size_t k = 0; k < n; k++)
			order[k] = ext[k].idx;
		xbig_free(ext, n * sizeof(*ext));
	}
	return n;
}

/*
 * Sort the sections that have file contents by offset into ef->by_offset,
 * and check that they overlap neither each other, nor the ELF header, nor
 * the section header table: the writer edits sections in place and would
 * corrupt a neighbour.
 */
static int sort_and_check_extents(struct elf_file *ef)
{
	uint64_t sh_start = ef->ehdr.e_shoff;
	uint64_t sh_end = sh_start + ef->nsecs * sizeof(Elf64_Shdr);
	size_t *order = xcalloc(ef->nsecs, sizeof(*order));
	size_t n = elf_order_by_offset(ef->shdrs, ef->nsecs, order);
	int ret = 0;

	ef->by_offset = order;
	ef->nby_offset = n;
	for (size_t k = 0; k < n && ret == 0; k++) {
		const Elf64_Shdr *sh = ef->secs[order[k]].sh;
		const Elf64_Shdr *prev = k ? ef->secs[order[k - 1]].sh : NULL;

		if (sh->sh_offset < sizeof(Elf64_Ehdr)) {
			sec_error(ef, order[k], "overlaps the ELF header");
			ret = -1;
		} else if (sh->sh_offset < sh_end &&
			   sh->sh_offset + sh->sh_size > sh_start) {
			sec_error(ef, order[k], "overlaps the section header table");
			ret = -1;
		} else if (prev &&
			   sh->sh_offset < prev->sh_offset + prev->sh_size) {
			sec_error(ef, order[k], "overlaps [%zu] %s in the file",
				  order[k - 1], ef->secs[order[k - 1]].name);
			ret = -1;
		}
	}
	if (ret == 0 && sh_start < sizeof(Elf64_Ehdr)) {
		diag_error(ef->diag, "the section header table overlaps the ELF header");
		ret = -1;
	}
	return ret;
}

/* How libelf translates a section of type SH_TYPE (ELF_T_BYTE: as is). */
static Elf_Type data_type(uint32_t sh_type)
{
	switch (sh_type) {
	case SHT_RELA:
		return ELF_T_RELA;
	case SHT_REL:
		return ELF_T_REL;
	case SHT_SYMTAB:
	case SHT_DYNSYM:
		return ELF_T_SYM;
	case SHT_SYMTAB_SHNDX:
	case SHT_GROUP:
	case SHT_HASH:
		return ELF_T_WORD;
	default:
		return ELF_T_BYTE;
	}
}

/*
 * Copy N bytes of the file at OFF, an array of TYPE, into BUF in memory
 * form.  False after reporting.
 */
static bool copy_to_memory_form(struct elf_file *ef, uint64_t off, size_t n,
				Elf_Type type, void *buf)
{
	Elf_Data src = {
		.d_buf = ef->map + off, .d_type = type, .d_size = n,
		.d_version = EV_CURRENT,
	};
	Elf_Data dst = {
		.d_buf = buf, .d_type = type, .d_size = n,
		.d_version = EV_CURRENT,
	};

	if (ef->native) {
		memcpy(buf, ef->map + off, n);
		return true;
	}
	if (!elf64_xlatetom(&dst, &src, ef->data_enc) || dst.d_size != n) {
		diag_error(ef->diag, "cannot translate %zu bytes at offset 0x%" PRIx64 " to the host's byte order: %s",
			   n, off, elf_errmsg(-1));
		return false;
	}
	return true;
}

/*
 * Can N bytes of the file at OFF, an array of TYPE, be used where they
 * lie: the host's byte order, and an address aligned for TYPE?  A size
 * that is not a whole number of entries is kept as bytes; whoever reads
 * entries checks the size first.
 */
static bool usable_in_place(const struct elf_file *ef, uint64_t off,
			    size_t n, Elf_Type type)
{
	size_t unit = type == ELF_T_BYTE ? 1 : elf64_fsize(type, 1, EV_CURRENT);

	return unit <= 1 || n % unit ||
	       (ef->native &&
		(uintptr_t)(ef->map + off) % (unit > 8 ? 8 : unit) == 0);
}

/*
 * Bring N bytes of the file at OFF into memory form as an array of TYPE:
 * where they lie if they can be used there, else into a new buffer
 * (*OWNED set).  NULL after reporting.
 */
static void *to_memory_form(struct elf_file *ef, uint64_t off, size_t n,
			    Elf_Type type, bool *owned)
{
	void *buf;

	*owned = false;
	if (usable_in_place(ef, off, n, type))
		return ef->map + off;
	buf = xmalloc(n ? n : 1);
	if (!copy_to_memory_form(ef, off, n, type, buf)) {
		free(buf);
		return NULL;
	}
	*owned = true;
	return buf;
}

/*
 * Input section IDX's contents in memory form where they already are:
 * in place, or translated before; NULL if they must be translated first.
 * load_sections() checked that they lie inside the file; an empty
 * section reads as the start of the map, never NULL.
 */
static void *sec_memory_form(const struct elf_file *ef, size_t idx)
{
	const struct elf_sec *s = &ef->secs[idx];

	if (s->translated)
		return ef->translated[idx];
	if (s->orig_size == 0)
		return ef->map;
	if (!usable_in_place(ef, s->orig_offset, s->orig_size,
			     data_type(s->sh->sh_type)))
		return NULL;
	return ef->map + s->orig_offset;
}

struct elf_data elf_sec_data(struct elf_file *ef, size_t idx)
{
	struct elf_sec *s = &ef->secs[idx];
	struct elf_data data = { .d_size = s->orig_size };
	bool owned;

	if (elf_sec_is_new(ef, s))
		INTERNAL_ERROR("elf_sec_data on a new section");
	data.d_buf = sec_memory_form(ef, idx);
	if (data.d_buf)
		return data;
	/* Translated once, and kept: edits must stay.  */
	data.d_buf = to_memory_form(ef, s->orig_offset, s->orig_size,
				    data_type(s->sh->sh_type), &owned);
	if (!data.d_buf) {
		sec_error(ef, idx, "cannot read contents");
	} else if (owned) {
		ef->translated[idx] = data.d_buf;
		s->translated = true;
	}
	return data;
}

const void *elf_sec_data_in_place(const struct elf_file *ef, size_t idx)
{
	return elf_sec_is_new(ef, &ef->secs[idx]) ? NULL
						  : sec_memory_form(ef, idx);
}

static int check_strtab(struct elf_file *ef, size_t idx, const char *what)
{
	const struct elf_sec *s = &ef->secs[idx];
	struct elf_data data;

	if (s->sh->sh_type != SHT_STRTAB) {
		sec_error(ef, idx, "%s is not a string table (type %u)", what,
			  s->sh->sh_type);
		return -1;
	}
	data = elf_sec_data(ef, idx);
	if (!data.d_buf)
		return -1;
	if (data.d_size == 0 ||
	    ((const char *)data.d_buf)[data.d_size - 1] != '\0') {
		sec_error(ef, idx, "%s does not end with a NUL byte", what);
		return -1;
	}
	return 0;
}

/*
 * The input's pages for [OFF, OFF + N) will not be read again: let them
 * go from the mapping (the page cache keeps them; a read would fault
 * them back in, unchanged, since they were never written).  Whole pages
 * only, and only for a file mapping.
 */
static void drop_mapped_pages(const struct elf_file *ef, uint64_t off,
			      uint64_t n)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start = (off + page - 1) / page * page;
	uint64_t end = (off + n) / page * page;

	if (ef->mapped && end > start)
		(void)madvise(ef->map + start, (size_t)(end - start),
			      MADV_DONTNEED);
}

/* SHNUM: the section count, from e_shnum or its escape in section 0. */
static int load_sections(struct elf_file *ef, size_t shnum)
{
	const Elf64_Ehdr *e = &ef->ehdr;
	size_t shstrndx = e->e_shstrndx;
	struct elf_data names;
	Elf64_Shdr *table;

	if (e->e_shentsize != sizeof(Elf64_Shdr)) {
		diag_error(ef->diag, "e_shentsize is %u, expected %zu",
			   e->e_shentsize, sizeof(Elf64_Shdr));
		return -1;
	}
	if (shnum == 0) {
		diag_error(ef->diag, "no section headers");
		return -1;
	}
	/* check_header_table() checked that the table fits in the file.
	 * Most headers get rewritten (sizes, offsets): a copy of the table
	 * costs less than copy-on-write of each of its pages.  */
	ef->shdrs_size = sizeof(Elf64_Shdr) * shnum;
	table = ef->shdrs = xbig_realloc(NULL, 0, ef->shdrs_size);
	if (!copy_to_memory_form(ef, e->e_shoff, ef->shdrs_size, ELF_T_SHDR,
				 table))
		return -1;
	drop_mapped_pages(ef, e->e_shoff, ef->shdrs_size);
	if (shstrndx == SHN_XINDEX)
		shstrndx = table[0].sh_link;
	ef->nsecs = shnum;
	ef->orig_nsecs = shnum;
	ef->secs_cap = shnum + 16;
	ef->secs = xbig_realloc(NULL, 0, ef->secs_cap * sizeof(*ef->secs));
	memset(ef->secs, 0, shnum * sizeof(*ef->secs));
	/* Pages of it are touched only where a translation is kept.  */
	ef->translated = xcalloc(shnum, sizeof(*ef->translated));

	for (size_t i = 0; i < shnum; i++) {
		struct elf_sec *s = &ef->secs[i];
		Elf64_Shdr *sh = &table[i];

		/* In the private mapping, or our translation: edits stay
		 * in memory.  */
		s->sh = sh;
		s->orig_offset = sh->sh_offset;
		s->orig_size = sh->sh_type == SHT_NOBITS ? 0 : sh->sh_size;
		s->type = ELF_T_BYTE;
	}

	if (shstrndx == 0 || shstrndx >= shnum) {
		diag_error(ef->diag, "section name table index %zu is out of range (%zu sections)",
			   shstrndx, shnum);
		return -1;
	}
	ef->shstrndx = shstrndx;
	ef->secs[shstrndx].name = ".shstrtab";
	for (size_t i = 1; i < shnum; i++) {
		const Elf64_Shdr *sh = ef->secs[i].sh;

		if (elf_sec_has_file_data(sh) &&
		    !in_file(ef, sh->sh_offset, sh->sh_size)) {
			diag_error(ef->diag, "[%zu]: contents (offset 0x%" PRIx64 ", size 0x%" PRIx64 ") extend past the end of the file (0x%zx)",
				   i, sh->sh_offset, sh->sh_size, ef->size);
			return -1;
		}
	}
	if (check_strtab(ef, shstrndx, "section name table"))
		return -1;
	names = elf_sec_data(ef, shstrndx);
	for (size_t i = 0; i < shnum; i++) {
		struct elf_sec *s = &ef->secs[i];

		if (s->sh->sh_name >= names.d_size) {
			diag_error(ef->diag, "[%zu]: section name offset 0x%x is past the end of .shstrtab",
				   i, s->sh->sh_name);
			return -1;
		}
		s->name = (const char *)names.d_buf + s->sh->sh_name;
	}
	return sort_and_check_extents(ef);
}

static int load_symbols(struct elf_file *ef)
{
	size_t symtab = 0, xndx = 0;
	struct elf_sec *s;
	struct elf_data data;

	for (size_t i = 1; i < ef->nsecs; i++) {
		if (ef->secs[i].sh->sh_type == SHT_SYMTAB) {
			if (symtab) {
				diag_error(ef->diag, "two symbol tables, [%zu] %s and [%zu] %s",
					   symtab, ef->secs[symtab].name,
					   i, ef->secs[i].name);
				return -1;
			}
			symtab = i;
		}
	}
	if (!symtab)
		return 0;	/* nothing can reference a symbol */

	s = &ef->secs[symtab];
	if (s->sh->sh_entsize != sizeof(Elf64_Sym) ||
	    s->sh->sh_size % sizeof(Elf64_Sym)) {
		sec_error(ef, symtab, "entry size %" PRIu64 " or size %" PRIu64 " does not fit Elf64_Sym",
			  s->sh->sh_entsize, s->sh->sh_size);
		return -1;
	}
	if (s->sh->sh_link == 0 || s->sh->sh_link >= ef->nsecs) {
		sec_error(ef, symtab, "sh_link %u is not a valid string table index",
			  s->sh->sh_link);
		return -1;
	}
	if (check_strtab(ef, s->sh->sh_link, "symbol name table"))
		return -1;
	data = elf_sec_data(ef, symtab);
	if (!data.d_buf)
		return -1;
	ef->symtab_idx = symtab;
	ef->syms = data.d_buf;
	ef->nsyms = data.d_size / sizeof(Elf64_Sym);
	data = elf_sec_data(ef, s->sh->sh_link);
	ef->strtab = data.d_buf;
	ef->strtab_size = data.d_size;
	if (s->sh->sh_info > ef->nsyms) {
		sec_error(ef, symtab, "sh_info %u (first global) is past the last symbol (%zu)",
			  s->sh->sh_info, ef->nsyms);
		return -1;
	}

	for (size_t i = 1; i < ef->nsecs; i++) {
		const Elf64_Shdr *sh = ef->secs[i].sh;

		if (sh->sh_type != SHT_SYMTAB_SHNDX || sh->sh_link != symtab)
			continue;
		if (xndx) {
			sec_error(ef, i, "second extended section index table for .symtab");
			return -1;
		}
		xndx = i;
	}
	if (xndx) {
		if (ef->secs[xndx].sh->sh_size != ef->nsyms * sizeof(Elf32_Word)) {
			sec_error(ef, xndx, "size 0x%" PRIx64 " does not match %zu symbols",
				  ef->secs[xndx].sh->sh_size, ef->nsyms);
			return -1;
		}
		data = elf_sec_data(ef, xndx);
		if (!data.d_buf)
			return -1;
		ef->xndx = data.d_buf;
	}

	for (size_t i = 0; i < ef->nsyms; i++) {
		const Elf64_Sym *sym = &ef->syms[i];
		size_t shndx;

		if (sym->st_name >= ef->strtab_size) {
			diag_error(ef->diag, ".symtab entry %zu: name offset 0x%x is past the end of the string table",
				   i, sym->st_name);
			return -1;
		}
		if (sym->st_shndx == SHN_XINDEX && !ef->xndx) {
			diag_error(ef->diag, ".symtab entry %zu: symbol '%s': section index is SHN_XINDEX but there is no .symtab_shndx",
				   i, ef->strtab + sym->st_name);
			return -1;
		}
		shndx = elf_sym_shndx(ef, i);
		if ((sym->st_shndx == SHN_XINDEX ||
		     sym->st_shndx < SHN_LORESERVE) && shndx >= ef->nsecs) {
			diag_error(ef->diag, ".symtab entry %zu: symbol '%s': section index %zu is out of range",
				   i, ef->strtab + sym->st_name, shndx);
			return -1;
		}
	}
	return 0;
}

/* Read a field of the input in its byte order. */
uint64_t elf_raw_field(const struct elf_file *ef, uint64_t off, size_t len)
{
	const unsigned char *p = (const unsigned char *)ef->map + off;
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[ef->data_enc == ELFDATA2LSB ? i : len - 1 - i]
		     << (8 * i);
	return v;
}

/*
 * Check that the section header table lies inside the file, saying what
 * is wrong where libelf would only say "invalid ELF file data", and set
 * *COUNT to its number of entries.
 */
static int check_header_table(struct elf_file *ef, size_t *count)
{
	uint64_t shoff, shnum;

	if (ef->size < sizeof(Elf64_Ehdr)) {
		diag_error(ef->diag, "truncated: %zu bytes, shorter than an ELF64 header",
			   ef->size);
		return -1;
	}
	shoff = elf_raw_field(ef, offsetof(Elf64_Ehdr, e_shoff), 8);
	shnum = elf_raw_field(ef, offsetof(Elf64_Ehdr, e_shnum), 2);
	if (shoff == 0 || shoff >= ef->size) {
		diag_error(ef->diag, "the section header table offset 0x%" PRIx64 " is not inside the file (size 0x%zx)",
			   shoff, ef->size);
		return -1;
	}
	if (shnum == 0) {	/* SHN_XINDEX escape: count in section 0 */
		if (ef->size - shoff < sizeof(Elf64_Shdr)) {
			diag_error(ef->diag, "section header 0 at offset 0x%" PRIx64 " extends past the end of the file",
				   shoff);
			return -1;
		}
		shnum = elf_raw_field(ef, shoff + offsetof(Elf64_Shdr, sh_size), 8);
	}
	if (shnum > (ef->size - shoff) / sizeof(Elf64_Shdr)) {
		diag_error(ef->diag, "the section header table (%" PRIu64 " entries at offset 0x%" PRIx64 ") extends past the end of the file (size 0x%zx)",
			   shnum, shoff, ef->size);
		return -1;
	}
	*count = (size_t)shnum;
	return 0;
}

static int elf_load(struct elf_file *ef)
{
	const unsigned char *ident = (const unsigned char *)ef->map;
	const Elf64_Ehdr *ehdr;
	size_t shnum;
	bool owned;

	if (ef->size < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0) {
		diag_error(ef->diag, "not an ELF file");
		return -1;
	}
	if (ident[EI_CLASS] != ELFCLASS64) {
		diag_error(ef->diag, "not an ELF64 file (class %u): klp-convert-mini converts 64-bit modules only (x86_64, arm64, ppc64le, s390x, riscv64)",
			   ident[EI_CLASS]);
		return -1;
	}
	if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB) {
		diag_error(ef->diag, "unknown byte order %u", ident[EI_DATA]);
		return -1;
	}
	ef->data_enc = ident[EI_DATA];
	if (ident[EI_VERSION] != EV_CURRENT) {
		diag_error(ef->diag, "unknown ELF version %u", ident[EI_VERSION]);
		return -1;
	}
	ef->native = ef->data_enc == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				      ? ELFDATA2LSB : ELFDATA2MSB);
	if (check_header_table(ef, &shnum))
		return -1;

	elf_version(EV_CURRENT);	/* for the translations */
	ehdr = to_memory_form(ef, 0, sizeof(Elf64_Ehdr), ELF_T_EHDR, &owned);
	if (!ehdr)
		return -1;
	ef->ehdr = *ehdr;
	if (owned)
		free((void *)ehdr);
	if (ef->ehdr.e_type != ET_REL) {
		diag_error(ef->diag, "not a relocatable object (e_type %u, expected ET_REL): give the .ko, not a linked executable",
			   ef->ehdr.e_type);
		return -1;
	}
	if (ef->ehdr.e_phnum != 0) {
		diag_error(ef->diag, "a relocatable object with program headers is not a kernel module");
		return -1;
	}
	if (load_sections(ef, shnum) || load_symbols(ef))
		return -1;
	return 0;
}

int elf_open_mem(struct elf_file *ef, struct diag *d, char *image, size_t size)
{
	memset(ef, 0, sizeof(*ef));
	ef->diag = d;
	ef->fd = -1;
	ef->map = image;
	ef->size = size;
	return elf_load(ef);
}

/* Map FD, which EF owns from now on, and read it. */
static int open_fd(struct elf_file *ef, struct diag *d, int fd)
{
	struct stat st;

	ef->fd = fd;
	if (fstat(fd, &st) != 0) {
		diag_error(d, "cannot stat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, "not a regular file");
		return -1;
	}
	if (st.st_size == 0) {
		diag_error(d, "not an ELF file (empty)");
		return -1;
	}
	if ((uint64_t)st.st_size > SIZE_MAX / 2) {
		diag_error(d, "file too large");
		return -1;
	}
	ef->size = (size_t)st.st_size;
	/* Private and writable: edits stay in memory, never reach the file. */
	ef->map = mmap(NULL, ef->size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       fd, 0);
	if (ef->map == MAP_FAILED) {
		ef->map = NULL;
		diag_error(d, "cannot map: %s", strerror(errno));
		return -1;
	}
	ef->mapped = true;
	return elf_load(ef);
}

int elf_open(struct elf_file *ef, struct diag *d, const char *path)
{
	int fd;

	memset(ef, 0, sizeof(*ef));
	ef->diag = d;
	ef->fd = -1;

	/* O_NONBLOCK: a FIFO must be refused, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		diag_error(d, "cannot open: %s", strerror(errno));
		return -1;
	}
	return open_fd(ef, d, fd);
}

int elf_reopen(struct elf_file *ef, struct diag *d, const struct elf_file *orig)
{
	int fd;

	memset(ef, 0, sizeof(*ef));
	ef->diag = d;
	ef->fd = -1;
	if (orig->fd < 0)
		return -1;	/* an image in memory: edited in place */
	fd = fcntl(orig->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		diag_error(d, "cannot read the input again: %s",
			   strerror(errno));
		return -1;
	}
	return open_fd(ef, d, fd);
}

void elf_close(struct elf_file *ef)
{
	for (size_t i = 0; i < ef->orig_nsecs; i++)
		if (ef->secs[i].translated)
			free(ef->translated[i]);
	free(ef->translated);
	arena_free(&ef->arena);
	for (size_t i = 0; i < ef->nadopted; i++)
		free(ef->adopted[i]);
	free(ef->adopted);
	xbig_free(ef->secs, ef->secs_cap * sizeof(*ef->secs));
	free(ef->by_offset);
	xbig_free(ef->new_strtab, ef->new_strtab_cap);
	xbig_free(ef->new_shstrtab, ef->new_shstrtab_cap);
	xbig_free(ef->shdrs, ef->shdrs_size);
	if (ef->mapped)
		munmap(ef->map, ef->size);
	if (ef->fd >= 0)
		close(ef->fd);
	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
}

bool elf_sec_relas(struct elf_file *ef, size_t idx, struct elf_rela_view *v)
{
	const struct elf_sec *s = &ef->secs[idx];
	struct elf_data data;

	memset(v, 0, sizeof(*v));
	if (s->from) {
		if (!elf_sec_relas(ef, s->from, v))
			return false;
		v->bits = s->bits;
		v->bits_keep = true;
		return true;
	}
	v->bits = s->bits;
	if (s->buf) {
		v->rela = s->buf;
		v->n = s->sh->sh_size / sizeof(Elf64_Rela);
		return true;
	}
	data = elf_sec_data(ef, idx);
	if (!data.d_buf)
		return false;
	v->rela = data.d_buf;
	v->n = data.d_size / sizeof(Elf64_Rela);
	return true;
}

/* ------------------------------------------------------------------ */
/* Changing the model                                                 */
/* ------------------------------------------------------------------ */


void elf_sec_mark_dirty(struct elf_file *ef, size_t idx)
{
	struct elf_sec *s = &ef->secs[idx];

	s->dirty = true;
	if (!s->buf)	/* edited in its memory form, translated back */
		s->type = (unsigned char)data_type(s->sh->sh_type);
}

void elf_sec_set_buf(struct elf_file *ef, size_t idx, void *buf, size_t size,
		     Elf_Type type)
{
	struct elf_sec *s = &ef->secs[idx];

	elf_adopt(ef, buf);
	s->buf = buf;
	s->type = (unsigned char)type;
	s->sh->sh_size = size;
	s->dirty = true;
}

/* The input size of the string table that the names of new sections
 * extend: their sh_name is this plus the offset in new_shstrtab.  */
static size_t shstrtab_base(const struct elf_file *ef)
{
	return ef->secs[ef->shstrndx].orig_size;
}

/* New sections' names point into new_shstrtab: set them from section
 * FROM on (again, when it moved).  */
static void point_new_names(struct elf_file *ef, size_t from)
{
	size_t base = shstrtab_base(ef);

	for (size_t i = from; i < ef->nsecs; i++)
		ef->secs[i].name = ef->new_shstrtab +
				   (ef->secs[i].sh->sh_name - base);
}

/*
 * Append NAME to the names *TAB added after a string table of BASE bytes;
 * return its offset in the extended table.
 */
static Elf64_Word strtab_append(char **tab, size_t *len, size_t *cap,
				size_t base, const char *name)
{
	size_t n = strlen(name) + 1;

	if (base + *len + n > UINT32_MAX)
		INTERNAL_ERROR("string table larger than 4 GiB");
	if (*len + n > *cap) {
		size_t grown = (*len + n) * 2 + 4096;

		*tab = xbig_realloc(*tab, *cap, grown);
		*cap = grown;
	}
	memcpy(*tab + *len, name, n);
	*len += n;
	return (Elf64_Word)(base + *len - n);
}

Elf64_Word elf_add_symbol_name(struct elf_file *ef, const char *name)
{
	return strtab_append(&ef->new_strtab, &ef->new_strtab_len,
			     &ef->new_strtab_cap, ef->strtab_size, name);
}

void elf_adopt(struct elf_file *ef, void *p)
{
	ef->adopted = xrealloc(ef->adopted,
			       (ef->nadopted + 1) * sizeof(*ef->adopted));
	ef->adopted[ef->nadopted++] = p;
}

void elf_reserve_sections(struct elf_file *ef, size_t n, size_t name_bytes)
{
	/* Every header from one block (each is a multiple of
	 * max_align_t, so N of them fit in N * their size).  */
	arena_reserve(&ef->arena, n * arena_round(sizeof(Elf64_Shdr)));
	if (ef->nsecs + n > ef->secs_cap) {
		ef->secs = xbig_realloc(ef->secs,
					ef->secs_cap * sizeof(*ef->secs),
					(ef->nsecs + n) * sizeof(*ef->secs));
		ef->secs_cap = ef->nsecs + n;
	}
	if (ef->new_shstrtab_len + name_bytes > ef->new_shstrtab_cap) {
		ef->new_shstrtab = xbig_realloc(ef->new_shstrtab,
						ef->new_shstrtab_cap,
						ef->new_shstrtab_len +
						name_bytes);
		ef->new_shstrtab_cap = ef->new_shstrtab_len + name_bytes;
		point_new_names(ef, ef->orig_nsecs);
	}
}

/* A new section header at the end, named NAME. */
static struct elf_sec *new_section(struct elf_file *ef, const char *name,
				   const Elf64_Shdr *sh)
{
	const char *old = ef->new_shstrtab;
	struct elf_sec *s;

	if (ef->nsecs == ef->secs_cap)
		elf_reserve_sections(ef, ef->secs_cap, 0);
	s = &ef->secs[ef->nsecs];
	memset(s, 0, sizeof(*s));
	s->sh = arena_alloc(&ef->arena, sizeof(*s->sh));
	*s->sh = *sh;
	s->sh->sh_name = strtab_append(&ef->new_shstrtab,
				       &ef->new_shstrtab_len,
				       &ef->new_shstrtab_cap,
				       shstrtab_base(ef), name);
	s->dirty = true;
	ef->nsecs++;
	point_new_names(ef, ef->new_shstrtab != old ? ef->orig_nsecs
						    : ef->nsecs - 1);
	return s;
}

size_t elf_add_section_from(struct elf_file *ef, const char *name,
			    const Elf64_Shdr *sh, size_t from,
			    const uint64_t *keep)
{
	struct elf_sec *s = new_section(ef, name, sh);

	s->from = (uint32_t)from;
	s->bits = keep;
	s->type = ELF_T_BYTE;	/* copied as the input has them */
	return ef->nsecs - 1;
}

size_t elf_add_section(struct elf_file *ef, const char *name,
		       const Elf64_Shdr *sh, void *buf, Elf_Type type)
{
	struct elf_sec *s = new_section(ef, name, sh);

	s->buf = buf;
	s->type = (unsigned char)type;
	return ef->nsecs - 1;
}

void elf_sec_drop_entries(struct elf_file *ef, size_t idx,
			  const uint64_t *drop, size_t kept)
{
	struct elf_sec *s = &ef->secs[idx];

	s->bits = drop;
	s->sh->sh_size = kept * s->sh->sh_entsize;
	s->dirty = true;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/*
 * Output is produced front to back through a buffer.  Long unchanged
 * stretches of the input are copied with copy_file_range(2), which stays
 * inside the kernel; everything else goes through the buffer, translated
 * to the file's byte order where needed.
 */
#define OUT_BUF_SIZE	(128u << 10)
#define OUT_COPY_MIN	(64u << 10)
/*
 * The most one write(2) is given, and no write crosses a multiple of it
 * in the file, so that each fills whole folios (see the streamed output
 * below for what that is worth).  A write asks the page cache for
 * folios as big as itself, and big folios come from big blocks of free
 * memory: where a virtual machine's balloon hands free memory back to
 * its host (as on the machines this was measured on), the first touch of
 * each page there costs the host a fault.  111 MB written in 512 KiB
 * pieces took 29 to 33 ms right after that much memory was freed and 120
 * to 163 ms three seconds later; in 64 KiB pieces 33 to 49 and 35 to 40
 * (cp's splice writes 64 KiB too).
 */
#define OUT_WRITE_MAX	(64u << 10)

struct out {
	int fd;
	uint64_t pos;		/* file offset of buf[0] */
	char *buf;
	size_t len;
	int in_fd;		/* -1: copy from in_map */
	const char *in_map;
	unsigned char enc;
	bool failed;
	/* The first failure, reported by whoever waits for the writer: it
	 * may run on a thread of its own, beside the checker's reports.  */
	int fail_err;		/* writing: an errno; or 0 and ... */
	const char *fail_msg;	/* ... libelf's, translating */
};

static char *temp_path;		/* a temporary output not yet renamed */

void elf_cleanup_temp(void)
{
	if (temp_path) {
		unlink(temp_path);
		free(temp_path);
		temp_path = NULL;
	}
}

void elf_unlink_temp_signal_safe(void)
{
	if (temp_path)
		unlink(temp_path);
}

static void out_fail(struct out *o, int err, const char *msg)
{
	if (!o->failed) {
		o->fail_err = err;
		o->fail_msg = msg;
	}
	o->failed = true;
}

static void out_report(struct diag *d, const struct out *o)
{
	if (!o->failed)
		return;
	if (o->fail_err)
		diag_error(d, "cannot write %s: %s", temp_path,
			   strerror(o->fail_err));
	else
		diag_error(d, "cannot translate to file byte order: %s",
			   o->fail_msg);
}

static void out_pwrite(struct out *o, const void *p, size_t n)
{
	while (n > 0 && !o->failed) {
		size_t room = OUT_WRITE_MAX - (size_t)(o->pos % OUT_WRITE_MAX);
		ssize_t r = pwrite(o->fd, p, n < room ? n : room, (off_t)o->pos);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			out_fail(o, r < 0 ? errno : ENOSPC, NULL);
			return;
		}
		p = (const char *)p + r;
		n -= (size_t)r;
		o->pos += (size_t)r;
	}
}

static void out_flush(struct out *o)
{
	size_t len = o->len;

	o->len = 0;
	out_pwrite(o, o->buf, len);
}

static void out_bytes(struct out *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n > OUT_BUF_SIZE) {
		out_flush(o);
		if (n >= OUT_BUF_SIZE) {
			out_pwrite(o, p, n);
			return;
		}
	}
	if (!o->buf)	/* the streamed output's needs it seldom */
		o->buf = xmalloc(OUT_BUF_SIZE);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void out_zero(struct out *o, uint64_t n)
{
	static const char zeros[4096];

	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		out_bytes(o, zeros, k);
		n -= k;
	}
}

/* Copy N bytes of the input starting at OFF. */
static void out_input(struct out *o, uint64_t off, uint64_t n)
{
	if (n >= OUT_COPY_MIN && o->in_fd >= 0 && !o->failed) {
		loff_t in_off = (loff_t)off, out_off;

		out_flush(o);
		out_off = (loff_t)o->pos;
		while (n > 0 && !o->failed) {
			ssize_t r = copy_file_range(o->in_fd, &in_off, o->fd,
						    &out_off, n, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && (errno == EXDEV || errno == EINVAL ||
				      errno == ENOSYS || errno == EOPNOTSUPP ||
				      errno == EBADF))
				break;	/* fall back to copying by hand */
			if (r <= 0) {
				out_fail(o, r < 0 ? errno : EIO, NULL);
				return;
			}
			n -= (uint64_t)r;
			o->pos += (uint64_t)r;
		}
		off = (uint64_t)in_off;
	}
	if (n > 0)
		out_bytes(o, o->in_map + off, (size_t)n);
}

/* out_xlate() for a foreign byte order. */
static void out_xlate_foreign(struct out *o, const void *p, size_t n,
			      Elf_Type type)
{
	char tmp[1u << 16];
	size_t unit = elf64_fsize(type, 1, EV_CURRENT);

	if (unit == 0) {
		out_bytes(o, p, n);
		return;
	}
	/* All types used here have the same size in memory and in file. */
	while (n > 0 && !o->failed) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp) / unit * unit;
		Elf_Data src = {
			.d_buf = (void *)p, .d_type = type, .d_size = k,
			.d_version = EV_CURRENT,
		};
		Elf_Data dst = {
			.d_buf = tmp, .d_type = type, .d_size = sizeof(tmp),
			.d_version = EV_CURRENT,
		};

		if (!elf64_xlatetof(&dst, &src, o->enc)) {
			/* libelf's error is per thread: read it here */
			out_fail(o, 0, elf_errmsg(-1));
			return;
		}
		out_bytes(o, tmp, dst.d_size);
		p = (const char *)p + k;
		n -= k;
	}
}

/* Write N bytes of memory-form data of TYPE in the file's byte order. */
static void out_xlate(struct out *o, const void *p, size_t n, Elf_Type type)
{
	const unsigned char host_enc =
		__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB
							  : ELFDATA2MSB;

	if (o->enc == host_enc || type == ELF_T_BYTE)
		out_bytes(o, p, n);
	else
		out_xlate_foreign(o, p, n, type);
}

/* A dirty section's contents, in memory form: BUF, or the input's as
 * edited in place (which elf_sec_data() brought into memory form).  */
static const void *sec_contents(const struct elf_file *ef,
				const struct elf_sec *s)
{
	const void *p = s->buf ? s->buf
			       : sec_memory_form(ef, (size_t)(s - ef->secs));

	if (!p)
		INTERNAL_ERROR("a dirty section never brought into memory form");
	return p;
}

/* Pad with zeros up to file offset OFF. */
static void out_pad_to(struct out *o, uint64_t off)
{
	if (off < o->pos + o->len)
		INTERNAL_ERROR("layout goes backwards");
	out_zero(o, off - (o->pos + o->len));
}

/* New sections, and sections that had no contents and now have some, are
 * placed after everything else.  */
static bool placed_at_end(const struct elf_file *ef, const struct elf_sec *s)
{
	return elf_sec_is_new(ef, s) ||
	       (s->orig_size == 0 && s->dirty && s->sh->sh_size > 0 &&
		s->sh->sh_type != SHT_NOBITS);
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	/* File offsets need no alignment beyond a page: cap what a
	 * section's sh_addralign may ask for.  */
	if (align <= 1 || !is_pow2_or_zero(align))
		return x;
	if (align > 4096)
		align = 4096;
	return (x + align - 1) & ~(align - 1);
}

/* Make the string tables' new contents part of the model. */
static void append_to_section(struct elf_sec *s, char *buf, size_t len)
{
	s->buf = buf;
	s->appended = true;
	s->sh->sh_size = s->orig_size + len;
	s->type = ELF_T_BYTE;
	s->dirty = true;
}

static void finish_string_tables(struct elf_file *ef)
{
	/* Both sets of new names would claim the same offsets. */
	if (ef->new_strtab_len && ef->new_shstrtab_len &&
	    ef->secs[ef->symtab_idx].sh->sh_link == ef->shstrndx)
		INTERNAL_ERROR("names appended to one table shared by symbols and sections");
	if (ef->new_strtab_len)
		append_to_section(&ef->secs[ef->secs[ef->symtab_idx].sh->sh_link],
				  ef->new_strtab, ef->new_strtab_len);
	if (ef->new_shstrtab_len)
		append_to_section(&ef->secs[ef->shstrndx], ef->new_shstrtab,
				  ef->new_shstrtab_len);
}

/*
 * Decide where every section goes.  Sections that changed size, and the
 * section header table (which grows with every new section), must move;
 * the lowest offset of anything that moves is the "tail".  Everything that
 * starts at or after it is laid out again, in the input's order, followed
 * by the new sections and the section header table.  Everything before it
 * keeps its offset, so for the usual ld -r layout (symbol table, string
 * tables and relocations at the end) the output is as compact as the
 * input and only the tail is rewritten.
 *
 * ORDER receives the existing sections with file contents sorted by
 * offset; return the tail and set *SHOFF and *END.
 */
static uint64_t layout(struct elf_file *ef, uint64_t *shoff, uint64_t *end)
{
	const size_t *order = ef->by_offset;
	size_t n = ef->nby_offset;
	uint64_t tail = ef->ehdr.e_shoff, cur;

	/* Sections that grow must move; sections that shrink are laid out
	 * again too, so they leave no holes behind.  */
	for (size_t k = 0; k < n; k++) {
		const struct elf_sec *s = &ef->secs[order[k]];

		if (s->dirty && s->sh->sh_size != s->orig_size &&
		    s->orig_offset < tail)
			tail = s->orig_offset;
	}
	for (size_t k = n; k-- > 0;) {
		const struct elf_sec *s = &ef->secs[order[k]];

		if (s->orig_offset + s->orig_size > tail &&
		    s->orig_offset < tail)
			tail = s->orig_offset;
	}

	cur = tail;
	for (size_t k = 0; k < n; k++) {
		struct elf_sec *s = &ef->secs[order[k]];

		if (s->orig_offset < tail) {
			s->sh->sh_offset = s->orig_offset;
			continue;
		}
		cur = align_up(cur, s->sh->sh_addralign);
		s->sh->sh_offset = cur;
		cur += s->sh->sh_size;
	}
	for (size_t i = 1; i < ef->nsecs; i++) {
		struct elf_sec *s = &ef->secs[i];

		if (placed_at_end(ef, s)) {
			cur = align_up(cur, s->sh->sh_addralign);
			s->sh->sh_offset = cur;
			cur += s->sh->sh_type == SHT_NOBITS ? 0 : s->sh->sh_size;
		} else if (s->orig_size == 0) {
			/* No contents: keep the offset unless it is in the
			 * part being laid out again.  */
			s->sh->sh_offset = s->orig_offset < tail ? s->orig_offset
								 : tail;
		}
	}
	*shoff = align_up(cur, 8);
	*end = *shoff + ef->nsecs * sizeof(Elf64_Shdr);
	return tail;
}

/* Section count and name table index, with the SHN_XINDEX escapes. */
static void set_section_counts(struct elf_file *ef)
{
	Elf64_Ehdr *e = &ef->ehdr;
	Elf64_Shdr *sh0 = ef->secs[0].sh;

	if (ef->nsecs >= SHN_LORESERVE) {
		e->e_shnum = 0;
		sh0->sh_size = ef->nsecs;
	} else {
		e->e_shnum = (Elf64_Half)ef->nsecs;
		sh0->sh_size = 0;
	}
	if (ef->shstrndx >= SHN_LORESERVE) {
		e->e_shstrndx = SHN_XINDEX;
		sh0->sh_link = (Elf64_Word)ef->shstrndx;
	} else {
		e->e_shstrndx = (Elf64_Half)ef->shstrndx;
	}
}

/*
 * The relocations of the N at RELA (file form) whose bit in BITS is WANT,
 * in order.  One at a time, straight into the buffer: where relocations
 * move, the runs of entries kept together are a few entries long, and a
 * call per run cost more than the copying.
 */
static void out_relas(struct out *o, const char *rela, const uint64_t *bits,
		      unsigned int want, uint64_t n)
{
	for (uint64_t w = 0; w * 64 < n && !o->failed; w++) {
		uint64_t word = want ? bits[w] : ~bits[w];

		if (n - w * 64 < 64)
			word &= (1ULL << (n - w * 64)) - 1;
		if (o->len + 64 * sizeof(Elf64_Rela) > OUT_BUF_SIZE)
			out_flush(o);
		for (; word; word &= word - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(word);

			memcpy(o->buf + o->len, rela + i * sizeof(Elf64_Rela),
			       sizeof(Elf64_Rela));
			o->len += sizeof(Elf64_Rela);
		}
	}
}

/*
 * A changed section's contents: BUF or the edited input data; or, for a
 * section that only loses entries, the input's own bytes of the entries
 * it keeps; or, for a section made from another's entries, those (both
 * copied in runs, already in file form).
 */
static void out_section(struct out *o, const struct elf_file *ef,
			const struct elf_sec *s)
{
	const struct elf_sec *src = s->from ? &ef->secs[s->from] : s;
	const uint64_t *bits = s->bits;
	uint64_t entsize = src->sh->sh_entsize, n, run = 0, start = 0;
	unsigned int want = s->from ? 1 : 0;	/* the bit of a written entry */

	if (s->appended) {
		out_input(o, s->orig_offset, s->orig_size);
		out_bytes(o, s->buf, s->sh->sh_size - s->orig_size);
		return;
	}
	if (!bits) {
		out_xlate(o, sec_contents(ef, s), s->sh->sh_size, s->type);
		return;
	}
	n = src->orig_size / entsize;
	if (entsize == sizeof(Elf64_Rela)) {
		out_relas(o, o->in_map + src->orig_offset, bits, want, n);
		return;
	}
	/* Runs of written entries, found a bitmap word at a time. */
	for (uint64_t w = 0; w * 64 < n; w++) {
		uint64_t word = want ? bits[w] : ~bits[w];

		if (n - w * 64 < 64)
			word &= (1ULL << (n - w * 64)) - 1;
		while (word) {
			unsigned int first = (unsigned int)__builtin_ctzll(word);
			uint64_t ones = word >> first;	/* bit 0: the run */
			unsigned int len = ones == UINT64_MAX ? 64 :
				(unsigned int)__builtin_ctzll(~ones);

			if (run && start + run == w * 64 + first) {
				run += len;
			} else {
				if (run)
					out_input(o, src->orig_offset +
						  start * entsize,
						  run * entsize);
				start = w * 64 + first;
				run = len;
			}
			word &= len + first >= 64 ? 0
				: ~0ULL << (first + len);
		}
	}
	if (run)
		out_input(o, src->orig_offset + start * entsize, run * entsize);
}

static void emit(const struct elf_file *ef, struct out *o, uint64_t tail)
{
	const size_t *order = ef->by_offset;
	size_t norder = ef->nby_offset;
	uint64_t cursor = sizeof(Elf64_Ehdr);

	out_xlate(o, &ef->ehdr, sizeof(ef->ehdr), ELF_T_EHDR);

	/* The head: input bytes, with in-place edits spliced in. */
	for (size_t k = 0; k < norder; k++) {
		const struct elf_sec *s = &ef->secs[order[k]];

		if (s->orig_offset >= tail)
			break;
		if (!s->dirty)
			continue;
		out_input(o, cursor, s->orig_offset - cursor);
		out_section(o, ef, s);
		out_zero(o, s->orig_size - s->sh->sh_size);
		cursor = s->orig_offset + s->orig_size;
	}
	out_input(o, cursor, tail - cursor);

	/* The tail: existing sections in input order, then new ones. */
	for (size_t k = 0; k < norder; k++) {
		const struct elf_sec *s = &ef->secs[order[k]];

		if (s->orig_offset < tail)
			continue;
		out_pad_to(o, s->sh->sh_offset);
		if (s->dirty)
			out_section(o, ef, s);
		else
			out_input(o, s->orig_offset, s->sh->sh_size);
	}
	for (size_t i = 1; i < ef->nsecs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (!placed_at_end(ef, s) || s->sh->sh_type == SHT_NOBITS)
			continue;
		out_pad_to(o, s->sh->sh_offset);
		out_section(o, ef, s);
	}

	/* Headers lie in runs (the input's copied table, arena blocks):
	 * a run at a time, long ones straight from where they are.  */
	out_pad_to(o, ef->ehdr.e_shoff);
	for (size_t i = 0, n; i < ef->nsecs; i += n) {
		for (n = 1; i + n < ef->nsecs &&
			    ef->secs[i + n].sh == ef->secs[i].sh + n; n++)
			;
		out_xlate(o, ef->secs[i].sh, n * sizeof(Elf64_Shdr),
			  ELF_T_SHDR);
	}
	out_flush(o);
}

/* Create the temporary output next to OUT_PATH; return its fd. */
/*
 * "<name>.XXXXXX" in the destination's directory; a name within 7 bytes
 * of the longest a directory entry may be (NAME_MAX) is cut short there,
 * so a legal destination always gets its temporary file.
 */
static void shorten_temp_name(char *path)
{
	char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > NAME_MAX)
		memmove(base + NAME_MAX - 7, base + len - 7, 8);
}

static int open_temp(struct diag *d, const char *out_path)
{
	size_t n = strlen(out_path) + sizeof(".XXXXXX");
	struct stat st;
	int fd;

	/* The output replaces its destination by rename(2): that must never
	 * happen to a device (-o /dev/null), a FIFO or a directory.  */
	if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode)) {
		diag_error(d, "output %s exists and is not a regular file; it would be replaced, not written to",
			   out_path);
		return -1;
	}
	if (temp_path)
		INTERNAL_ERROR("two temporary outputs at once");
	temp_path = xmalloc(n);
	snprintf(temp_path, n, "%s.XXXXXX", out_path);
	shorten_temp_name(temp_path);
	fd = mkostemp(temp_path, O_CLOEXEC);
	if (fd < 0) {
		diag_error(d, "cannot create a temporary file next to %s: %s",
			   out_path, strerror(errno));
		free(temp_path);
		temp_path = NULL;
	}
	return fd;
}

/*
 * Give the temporary file the input's owner and mode, and put it in
 * place.  fchown first: it may clear set-id bits that fchmod then sets.
 * Only root can give a file away; anyone else keeps the file as their
 * own, as an editor saving over it would.
 */
static int commit_temp(struct diag *d, int fd, const char *out_path,
		       const struct stat *st)
{
	int ret = 0;

	if (fchown(fd, st->st_uid, st->st_gid) != 0 && errno != EPERM) {
		diag_error(d, "cannot set the owner of %s: %s", temp_path,
			   strerror(errno));
		ret = -1;
	}
	if (ret == 0 && fchmod(fd, st->st_mode & 07777) != 0) {
		diag_error(d, "cannot set the mode of %s: %s", temp_path,
			   strerror(errno));
		ret = -1;
	}
	if (close(fd) != 0 && ret == 0) {
		diag_error(d, "cannot write %s: %s", temp_path, strerror(errno));
		ret = -1;
	}
	if (ret == 0 && rename(temp_path, out_path) != 0) {
		diag_error(d, "cannot rename %s to %s: %s", temp_path, out_path,
			   strerror(errno));
		ret = -1;
	}
	if (ret == 0) {
		free(temp_path);
		temp_path = NULL;
	}
	elf_cleanup_temp();
	return ret;
}

/*
 * Reserve the output's SIZE bytes on disk before writing them, where that
 * was measured to pay.  ext4 then skips the delayed-allocation
 * bookkeeping it does for every 4 KiB block written (ext2 and ext3 share
 * its magic number; on their files without extents fallocate fails, and
 * that is ignored): writing the huge bench module's 111 MB output took 59 ms
 * without and 46 to 50 with it, a 1.2 MB one 2.0 and 1.7 to 1.8 ms; the
 * tool on huge 188 -> 171 and 199 -> 182 ms.  btrfs writes into the
 * preallocated extent in place: the tool on huge 429 -> 339 and 317 ->
 * 284 ms.  Not elsewhere: XFS gained nothing (192 and 191 ms; the write
 * alone 31 -> 33 ms), and tmpfs zeroes what it allocates (67 -> 71 ms).
 * All medians of 8 to 30 interleaved runs.  A hint: any error (no space,
 * say) is left to the writes to meet.  KEEP_SIZE: the file grows only by
 * what is written, as before.
 */
static void preallocate(int fd, uint64_t off, uint64_t size)
{
	struct statfs fs;

	if (size > 0 && fstatfs(fd, &fs) == 0 &&
	    (fs.f_type == EXT4_SUPER_MAGIC || fs.f_type == BTRFS_SUPER_MAGIC))
		(void)fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)size);
}

struct emit_job {
	struct elf_file *ef;
	struct out *o;
	uint64_t end;		/* the output's size, from the layout */
};

/*
 * Lay the file out and write it.  The layout changes only what the
 * result check never reads (sh_offset, e_shoff), so it runs beside the
 * check too: on the huge bench module that is 6 to 11 ms (timed inside,
 * 16 runs).
 */
static void lay_out_and_emit(struct emit_job *j)
{
	uint64_t tail, shoff;

	tail = layout(j->ef, &shoff, &j->end);
	j->ef->ehdr.e_shoff = shoff;
	preallocate(j->o->fd, 0, j->end);
	emit(j->ef, j->o, tail);
}

static void *emit_thread(void *arg)
{
	lay_out_and_emit(arg);
	return NULL;
}

/*
 * A writer thread costs more than it saves below this input size.  With
 * the check and the write one after the other instead of side by side,
 * the bench's 14 KB module converted in 1.5 to 1.6 ms instead of 1.8, and
 * its 1 MB one in the same wall time (4.1 to 5.2 ms either way in five
 * runs) with 0.4 to 0.7 ms less CPU time, which a parallel build
 * converting many modules gets back; a 2.3 MB one took 9.66 ms instead
 * of 8.61 (medians of 30 to 40 interleaved runs).
 */
#define WRITER_THREAD_MIN	(2u << 20)

/*
 * Lay out and emit the output while VERIFY (if any) runs: the writer
 * changes only section offsets, which VERIFY never reads, and otherwise
 * only reads the model and the input, so the two share it without
 * locks.  The writer runs on a thread of its own, or here after VERIFY
 * for a small module or when no thread can be had.  Return VERIFY's
 * verdict (true without one).
 */
static bool emit_verified(struct emit_job *job, bool (*verify)(void *),
			  void *arg)
{
	struct xthread writer;
	bool ok;

	if (verify && job->ef->size >= WRITER_THREAD_MIN &&
	    xthread_start(&writer, emit_thread, job)) {
		ok = verify(arg);
		xthread_join(&writer);
		return ok;
	}
	ok = !verify || verify(arg);
	if (ok)
		lay_out_and_emit(job);
	return ok;
}

/*
 * Write the model to OUT_PATH: copy the unchanged head of the input, write
 * the tail, the new sections and the section header table, then rename the
 * temporary file over OUT_PATH.
 */
int elf_write(struct elf_file *ef, const char *out_path, const struct stat *st,
	      bool (*verify)(void *arg), void *arg)
{
	struct out o = {
		.in_fd = ef->fd, .in_map = ef->map, .enc = ef->data_enc,
	};
	struct emit_job job = { .ef = ef, .o = &o };
	bool ok;

	finish_string_tables(ef);
	set_section_counts(ef);

	o.fd = open_temp(ef->diag, out_path);
	if (o.fd < 0)
		return -1;
	o.buf = xmalloc(OUT_BUF_SIZE);
	ok = emit_verified(&job, verify, arg);
	free(o.buf);
	if (ok && !o.failed && o.pos != job.end)
		INTERNAL_ERROR("output size does not match the layout");
	out_report(ef->diag, &o);
	if (!ok || o.failed) {
		close(o.fd);
		elf_cleanup_temp();
		return -1;
	}
	return commit_temp(ef->diag, o.fd, out_path, st);
}

int elf_copy_file(struct diag *d, int in_fd, size_t size, const char *out_path,
		  const struct stat *st)
{
	struct out o = { .in_fd = in_fd };
	char *map;

	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, in_fd, 0);
	if (map == MAP_FAILED) {
		diag_error(d, "cannot map: %s", strerror(errno));
		return -1;
	}
	o.in_map = map;
	o.fd = open_temp(d, out_path);
	if (o.fd < 0) {
		munmap(map, size);
		return -1;
	}
	o.buf = xmalloc(OUT_BUF_SIZE);
	out_input(&o, 0, size);
	out_flush(&o);
	free(o.buf);
	munmap(map, size);
	out_report(d, &o);
	if (o.failed) {
		close(o.fd);
		elf_cleanup_temp();
		return -1;
	}
	return commit_temp(d, o.fd, out_path, st);
}

/* ------------------------------------------------------------------ */
/* A streamed output                                                  */
/* ------------------------------------------------------------------ */

/*
 * For a writer that keeps no model of the file: the output is produced
 * front to back into chunks, and a thread of its own writes them (with
 * STREAM_NCHUNKS in flight) while the producer goes on; long stretches of
 * the input go by copy_file_range(2) on that thread too.  Below
 * WRITER_THREAD_MIN each range is written as it is queued, from smaller
 * chunks: one, reused, instead of six fresh ones.  Host byte order only:
 * nothing is translated.
 *
 * What the page cache costs decides how the bytes go out.  Every chunk
 * but the last ends where the output's offset is a multiple of the chunk
 * size, and so does the start of every long stretch, so that writes fill
 * whole folios: 1.2 MB in 64 KiB writes took 255 us at such offsets and
 * 436 us one page off (ext4, Linux 6.18, medians of 41).  Each chunk goes
 * out in writes of OUT_WRITE_MAX (see there for why no bigger).
 */
#define STREAM_CHUNK	(512u << 10)
#define STREAM_CHUNK_UNTHREADED	(64u << 10)
#define STREAM_NCHUNKS	6
#define STREAM_QUEUE	64

struct stream_range {
	const char *p;		/* NULL: N bytes of the input at OFF */
	uint64_t off, n;
};

struct elf_stream {
	struct diag *d;
	struct out o;		/* the writer's */
	bool threaded;
	struct xthread writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct stream_range q[STREAM_QUEUE];
	size_t head, tail;	/* ranges queued, ranges written */
	bool done;
	char *chunk[STREAM_NCHUNKS];
	size_t chunk_seq[STREAM_NCHUNKS];	/* 1 + the range that used it */
	size_t cur, used, chunk_size;
	size_t limit;		/* where the current chunk ends aligned */
	uint64_t pos;		/* bytes produced so far */
};

static void stream_write_range(struct out *o, const struct stream_range *r)
{
	if (r->p)
		out_pwrite(o, r->p, r->n);
	else
		out_input(o, r->off, r->n);
	out_flush(o);	/* out_input() may fall back to the buffer */
}

static void *stream_writer(void *arg)
{
	struct elf_stream *s = arg;

	for (;;) {
		struct stream_range r;

		pthread_mutex_lock(&s->mu);
		while (s->tail == s->head && !s->done)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->tail == s->head) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		r = s->q[s->tail % STREAM_QUEUE];
		pthread_mutex_unlock(&s->mu);
		stream_write_range(&s->o, &r);
		pthread_mutex_lock(&s->mu);
		s->tail++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

/* Queue R (its bytes stay until written); return its sequence number. */
static size_t stream_queue(struct elf_stream *s, struct stream_range r)
{
	size_t seq;

	if (!s->threaded) {
		stream_write_range(&s->o, &r);
		return s->head++;
	}
	pthread_mutex_lock(&s->mu);
	while (s->head - s->tail == STREAM_QUEUE)
		pthread_cond_wait(&s->cv, &s->mu);
	seq = s->head++;
	s->q[seq % STREAM_QUEUE] = r;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return seq;
}

static void stream_wait_written(struct elf_stream *s, size_t seq)
{
	if (!s->threaded)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->tail <= seq)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

/* Hand the current chunk to the writer and make the next one current,
 * once it is free; that one starts at output offset POS.  */
static void stream_flush(struct elf_stream *s, uint64_t pos)
{
	size_t nchunks = s->threaded ? STREAM_NCHUNKS : 1;

	if (s->used) {
		s->chunk_seq[s->cur] = 1 + stream_queue(s, (struct stream_range){
			.p = s->chunk[s->cur], .n = s->used });
		s->cur = (s->cur + 1) % nchunks;
		if (!s->chunk[s->cur])
			s->chunk[s->cur] = xmalloc(s->chunk_size);
		else if (s->chunk_seq[s->cur])
			stream_wait_written(s, s->chunk_seq[s->cur] - 1);
	}
	s->used = 0;
	s->limit = s->chunk_size - (size_t)(pos % s->chunk_size);
}

struct elf_stream *elf_stream_open(struct diag *d, const char *out_path,
				   int in_fd, const char *in_map,
				   uint64_t size)
{
	struct elf_stream *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->o = (struct out){ .in_fd = in_fd, .in_map = in_map };
	s->o.fd = open_temp(d, out_path);
	if (s->o.fd < 0) {
		free(s);
		return NULL;
	}
	preallocate(s->o.fd, 0, size);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->threaded = size >= WRITER_THREAD_MIN &&
		      xthread_start(&s->writer, stream_writer, s);
	s->chunk_size = s->threaded ? STREAM_CHUNK : STREAM_CHUNK_UNTHREADED;
	s->chunk[0] = xmalloc(s->chunk_size);
	s->limit = s->chunk_size;
	return s;
}

void elf_stream_reserve(struct elf_stream *s, uint64_t end)
{
	if (end > s->pos)
		preallocate(s->o.fd, s->pos, end - s->pos);
}

uint64_t elf_stream_pos(const struct elf_stream *s)
{
	return s->pos;
}

/* Room for up to N bytes, to the current chunk's aligned end: *K. */
static char *stream_span(struct elf_stream *s, uint64_t n, size_t *k)
{
	char *p;

	if (s->used == s->limit)
		stream_flush(s, s->pos);
	p = s->chunk[s->cur] + s->used;
	*k = n < s->limit - s->used ? (size_t)n : s->limit - s->used;
	s->used += *k;
	s->pos += *k;
	return p;
}

void elf_stream_bytes(struct elf_stream *s, const void *p, size_t n)
{
	while (n) {
		size_t k;
		char *to = stream_span(s, n, &k);

		memcpy(to, p, k);
		p = (const char *)p + k;
		n -= k;
	}
}

void elf_stream_zero(struct elf_stream *s, uint64_t n)
{
	while (n) {
		size_t k;
		char *to = stream_span(s, n, &k);

		memset(to, 0, k);
		n -= k;
	}
}

/*
 * A stretch R whose bytes are at P: through the chunk up to its aligned
 * end, and the rest, when long, as a range of its own starting there.
 */
static void stream_stretch(struct elf_stream *s, const char *p,
			   struct stream_range r)
{
	size_t k = s->limit - s->used;

	if (k > r.n || r.n - k < OUT_COPY_MIN) {
		elf_stream_bytes(s, p, (size_t)r.n);
		return;
	}
	elf_stream_bytes(s, p, k);
	r.n -= k;
	if (r.p)
		r.p += k;
	else
		r.off += k;
	stream_flush(s, s->pos + r.n);
	stream_queue(s, r);
	s->pos += r.n;
}

void elf_stream_kept(struct elf_stream *s, const void *p, size_t n)
{
	stream_stretch(s, p, (struct stream_range){ .p = p, .n = n });
}

void elf_stream_input(struct elf_stream *s, uint64_t off, uint64_t n)
{
	if (s->o.in_fd < 0)
		elf_stream_kept(s, s->o.in_map + off, (size_t)n);
	else
		stream_stretch(s, s->o.in_map + off,
			       (struct stream_range){ .off = off, .n = n });
}

/* Let the writer finish; free all but the file. */
static void stream_stop(struct elf_stream *s)
{
	stream_flush(s, s->pos);
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->done = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		xthread_join(&s->writer);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	for (size_t k = 0; k < STREAM_NCHUNKS; k++)
		free(s->chunk[k]);
	free(s->o.buf);
}

void elf_stream_abort(struct elf_stream *s)
{
	stream_stop(s);
	close(s->o.fd);
	elf_cleanup_temp();
	free(s);
}

int elf_stream_finish(struct elf_stream *s, const Elf64_Ehdr *ehdr,
		      const char *out_path, const struct stat *st)
{
	int ret = -1;

	stream_stop(s);
	/* The ELF header last: e_shoff is known only now.  */
	s->o.pos = 0;
	out_pwrite(&s->o, ehdr, sizeof(*ehdr));
	out_report(s->d, &s->o);
	if (s->o.failed) {
		close(s->o.fd);
		elf_cleanup_temp();
	} else {
		ret = commit_temp(s->d, s->o.fd, out_path, st);
	}
	free(s);
	return ret;
}
