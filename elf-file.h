/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * elf-file.h - a small model of one ELF64 relocatable object, and its rewrite.
 *
 * No livepatch knowledge lives here.  The file is mapped privately
 * (copy-on-write) and read in place: contents in the host's byte order
 * are used where they lie, others are translated by libelf into buffers
 * of their own.  Section headers are always copied: most are rewritten.
 * Callers may edit the symbol table and relocation arrays in place
 * without touching the input.
 * Changes are recorded per section (dirty contents, new size) plus new
 * sections appended at the end; elf_write() then produces the output in
 * one sequential pass: the unchanged head of the file is copied, sections
 * that changed size or lie after the first moved one are laid out again
 * behind it, and the section header table goes last.  Section indices,
 * symbol indices and string offsets of existing entries never change.
 */
#ifndef KLP_ELF_H
#define KLP_ELF_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "diag.h"

/* A section's input contents in memory form. */
struct elf_data {
	void *d_buf;		/* in the private mapping, or translated */
	size_t d_size;
};

/* One section: 56 bytes, for there may be hundreds of thousands. */
struct elf_sec {
	Elf64_Shdr *sh;		/* memory form, what will be written: in a
				 * copy of the input's table (translated if
				 * need be), or the arena for new ones */
	const char *name;	/* input .shstrtab, or new_shstrtab */
	void *buf;		/* new contents (memory form) when dirty; for
				 * an extended string table, what follows
				 * the input's */
	const uint64_t *bits;	/* one per entry: with FROM, the entries of
				 * section FROM that make this one; without,
				 * the entries of this one left out */
	uint64_t orig_offset;	/* where the input had it */
	uint64_t orig_size;	/* 0 for SHT_NOBITS and new sections */
	uint32_t from;
	/* Separate members, never bitfields: the result check may set
	 * TRANSLATED while the writer thread reads the others.  */
	unsigned char type;	/* Elf_Type: how to translate buf */
	bool dirty;		/* contents changed (in place, buf or bits) */
	bool translated;	/* input contents are in elf_file.translated */
	bool appended;		/* buf follows the input contents */
};

/* Stable storage for new section headers. */
struct elf_arena {
	struct elf_arena_block *blocks;
};

struct elf_file {
	struct diag *diag;	/* where problems are reported */
	int fd;			/* -1 for an in-memory image */
	char *map;		/* private copy-on-write image of the input */
	size_t size;
	bool mapped;		/* map came from mmap() */
	bool native;		/* the file's byte order is the host's */
	Elf64_Ehdr ehdr;	/* memory form */
	unsigned char data_enc;	/* ELFDATA2LSB or ELFDATA2MSB */

	Elf64_Shdr *shdrs;	/* the input's headers, in memory form */
	size_t shdrs_size;
	struct elf_sec *secs;	/* indexed by section index */
	size_t nsecs, secs_cap;
	size_t orig_nsecs;	/* sections from the input; new ones follow */
	void **translated;	/* [orig_nsecs]: contents in memory form
				 * where the input's could not be used */
	size_t *by_offset;	/* input sections with contents, by offset */
	size_t nby_offset;
	size_t shstrndx;

	size_t symtab_idx;	/* 0: none */
	Elf64_Sym *syms;	/* writable, memory form */
	size_t nsyms;
	const char *strtab;	/* input string table of .symtab */
	size_t strtab_size;
	Elf32_Word *xndx;	/* .symtab_shndx contents, or NULL */

	struct elf_arena arena;
	void **adopted;		/* freed by elf_close */
	size_t nadopted;

	/* Names appended to the string tables: a name at offset OFF of the
	 * extended table lies at OFF - (input table size) here.  */
	char *new_strtab, *new_shstrtab;
	size_t new_strtab_len, new_strtab_cap;
	size_t new_shstrtab_len, new_shstrtab_cap;
};

/* The sections of TABLE (NSECS headers, memory form) with file contents,
 * by offset (by index where offsets tie), into ORDER (room for NSECS);
 * return how many.  */
size_t elf_order_by_offset(const Elf64_Shdr *table, size_t nsecs,
			   size_t *order);

/* Read a file, or an image in memory (the image must stay writable and
 * alive until elf_close).  Return 0, or -1 after reporting why.  */
int elf_open(struct elf_file *ef, struct diag *d, const char *path);
int elf_open_mem(struct elf_file *ef, struct diag *d, char *image, size_t size);
void elf_close(struct elf_file *ef);

/* Read ORIG's file again, as it was before any edit to ORIG's model;
 * -1 (reported unless ORIG is an image in memory) if it cannot be.  */
int elf_reopen(struct elf_file *ef, struct diag *d, const struct elf_file *orig);

/* The section's input contents in memory form; d_buf is NULL after
 * reporting why they cannot be read.  */
struct elf_data elf_sec_data(struct elf_file *ef, size_t idx);

/* The same when it needs no work: the contents where they lie (host byte
 * order, aligned) or as translated already; else NULL.  Changes nothing,
 * so threads may call it at once.  */
const void *elf_sec_data_in_place(const struct elf_file *ef, size_t idx);

/* LEN (at most 8) bytes of the input at OFF, in the file's byte order. */
uint64_t elf_raw_field(const struct elf_file *ef, uint64_t off, size_t len);

/*
 * The entries of a RELA section as the model will write them: of the N
 * entries at RELA (memory form), those for which elf_rela_counts() is
 * true.
 */
struct elf_rela_view {
	const Elf64_Rela *rela;
	size_t n;
	const uint64_t *bits;	/* NULL: every entry counts */
	bool bits_keep;		/* a set bit means "counts" (else "left out") */
};

/* Fill *V for section IDX; false after reporting if it cannot be read. */
bool elf_sec_relas(struct elf_file *ef, size_t idx, struct elf_rela_view *v);

static inline bool elf_rela_counts(const struct elf_rela_view *v, size_t i)
{
	return !v->bits || ((v->bits[i / 64] >> (i % 64) & 1) == v->bits_keep);
}

/* Section index of symbol SYMIDX, resolving SHN_XINDEX. */
static inline size_t elf_sym_shndx(const struct elf_file *ef, size_t symidx)
{
	const Elf64_Sym *sym = &ef->syms[symidx];

	if (sym->st_shndx == SHN_XINDEX && ef->xndx)
		return ef->xndx[symidx];
	return sym->st_shndx;
}

static inline const char *elf_sym_name(const struct elf_file *ef,
				       size_t symidx)
{
	Elf64_Word off = ef->syms[symidx].st_name;

	/* Renamed symbols point past the input table, into the appended
	 * names; the others stay in the input, where names never move.  */
	return off < ef->strtab_size ? ef->strtab + off
				     : ef->new_strtab + (off - ef->strtab_size);
}

static inline bool elf_sec_is_new(const struct elf_file *ef,
				  const struct elf_sec *s)
{
	return (size_t)(s - ef->secs) >= ef->orig_nsecs;
}

static inline bool elf_sec_is_alloc(const struct elf_sec *s)
{
	return s->sh->sh_flags & SHF_ALLOC;
}

static inline bool elf_sec_has_file_data(const Elf64_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_size > 0;
}

/* Record that section IDX changed in place (its data->d_buf). */
void elf_sec_mark_dirty(struct elf_file *ef, size_t idx);

/*
 * Leave out of section IDX, when writing, the fixed-size entries whose bit
 * is set in DROP (entry i: bit i % 64 of DROP[i / 64]); KEPT entries
 * remain.  DROP must live until elf_write() returns.  The input is never
 * edited for this, so unchanged bytes are copied as they are.
 */
void elf_sec_drop_entries(struct elf_file *ef, size_t idx,
			  const uint64_t *drop, size_t kept);

/* Append a NUL-terminated string to .strtab (of the symtab) or to
 * .shstrtab, and return its offset.  Existing offsets stay valid.  */
Elf64_Word elf_add_symbol_name(struct elf_file *ef, const char *name);

/* Append a new section with contents BUF (memory form), which must live
 * until elf_write() returns (see elf_adopt()).  Return its index.  */
size_t elf_add_section(struct elf_file *ef, const char *name,
		       const Elf64_Shdr *sh, void *buf, Elf_Type type);

/* Free P (malloc'd) when EF is closed: for buffers the model borrows. */
void elf_adopt(struct elf_file *ef, void *p);

/*
 * Append a new section made of the entries of existing section FROM whose
 * bit is set in KEEP (entry i: bit i % 64 of KEEP[i / 64]), in order,
 * copied from the input as they are.  SH gives the new header, its
 * sh_size the kept entries' size.  KEEP must live until elf_write()
 * returns.  Return the new index.
 */
size_t elf_add_section_from(struct elf_file *ef, const char *name,
			    const Elf64_Shdr *sh, size_t from,
			    const uint64_t *keep);

/* Make room for N more sections, whose names take NAME_BYTES (with
 * their NULs), at once.  */
void elf_reserve_sections(struct elf_file *ef, size_t n, size_t name_bytes);

/* Replace a section's contents with BUF (memory form, malloc'd, SIZE
 * bytes); the model frees it (see elf_adopt()).  */
void elf_sec_set_buf(struct elf_file *ef, size_t idx, void *buf, size_t size,
		     Elf_Type type);

/*
 * Write the model to OUT_PATH atomically: a temporary file in the same
 * directory, then rename(2).  The new file gets the owner (when allowed)
 * and the permission bits of ST, the input's.  VERIFY (may be NULL) runs
 * on the calling thread: from 2 MiB of input while another thread lays
 * the file out and writes it, below that before the write.  It must
 * only read the model (loading section data included), and never a
 * section's sh_offset or the header's e_shoff, which the layout sets
 * meanwhile; the file is renamed into place only if it returns true.
 * On failure nothing is left behind and -1 is returned after reporting.
 */
int elf_write(struct elf_file *ef, const char *out_path, const struct stat *st,
	      bool (*verify)(void *arg), void *arg);

/* Copy a file's bytes to OUT_PATH atomically, same rules as elf_write. */
int elf_copy_file(struct diag *d, int in_fd, size_t size, const char *out_path,
		  const struct stat *st);

/*
 * A streamed output, for a writer that keeps no model: bytes produced
 * front to back, written to a temporary file next to OUT_PATH (on a
 * thread of its own when SIZE, the expected size, is big) and renamed
 * into place by elf_stream_finish(), which writes EHDR over the first
 * bytes last; elf_stream_abort() leaves nothing behind.  In the host's
 * byte order only.  IN_FD and IN_MAP are the input, whose bytes
 * elf_stream_input() copies.
 */
struct elf_stream;
struct elf_stream *elf_stream_open(struct diag *d, const char *out_path,
				   int in_fd, const char *in_map,
				   uint64_t size);
/* Allocate the output's blocks up to END ahead (see elf_write()). */
void elf_stream_reserve(struct elf_stream *s, uint64_t end);
uint64_t elf_stream_pos(const struct elf_stream *s);
void elf_stream_bytes(struct elf_stream *s, const void *p, size_t n);
void elf_stream_zero(struct elf_stream *s, uint64_t n);
/* N bytes at P, which stay unchanged until the stream ends. */
void elf_stream_kept(struct elf_stream *s, const void *p, size_t n);
/* N bytes of the input at OFF. */
void elf_stream_input(struct elf_stream *s, uint64_t off, uint64_t n);
/* Return 0, or -1 after reporting why (nothing left behind). */
int elf_stream_finish(struct elf_stream *s, const Elf64_Ehdr *ehdr,
		      const char *out_path, const struct stat *st);
void elf_stream_abort(struct elf_stream *s);

/* Remove a temporary output left by an interrupted write (atexit). */
void elf_cleanup_temp(void);
/* The same from a signal handler: unlink only. */
void elf_unlink_temp_signal_safe(void);

#endif /* KLP_ELF_H */
