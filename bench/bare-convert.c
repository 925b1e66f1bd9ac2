// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bare-convert.c - the least a converter can do to gen-klp-object's
 * modules, as a reference for the benchmark: no checks, no model.
 *
 *   bare-convert INPUT OUTPUT
 *
 * It knows only the layout gen-klp-object (and ld -r) writes: sections in
 * index order at increasing offsets, then .symtab, .symtab_shndx (if
 * any), .strtab and .shstrtab, then the section header table.  Anything
 * else is refused with exit status 1.  It reads the input through a
 * mapping and writes the output once, to a temporary file renamed into
 * place, with two threads: this one builds the output in 1 MiB chunks
 * while the other writes them.
 *
 * Every section keeps its offset.  A relocation section's bytes become
 * its entries against ordinary symbols, then those of each object
 * .klp.rela.<object>.<target name> takes, all in input order, so the
 * .klp.rela sections live where their entries were.  Symbols
 * .klp.sym.rela.<object>.<obj>.<sym>.<pos> become .klp.sym.<obj>.<sym>,<pos>
 * with SHN_LIVEPATCH; their new names are appended to .strtab, the new
 * sections' names to .shstrtab, and the headers of the new sections
 * follow the input's.  klp-verify accepts the result.  It is what
 * klp-convert-mini must do as well, less every check of the kernel's
 * rules and of its own output.
 */
#define _GNU_SOURCE

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHN_LIVEPATCH		0xff20
#define SHF_RELA_LIVEPATCH	0x00100000
#define PREFIX			".klp.sym.rela."
#define MAX_OBJS		64

enum { CHUNK = 1 << 20, NCHUNKS = 8, QLEN = 64 };

static const char *in_path;
static char *tmp_path;

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bare-convert: %s: ", in_path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (tmp_path)
		unlink(tmp_path);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- the writer thread: writes queued byte ranges in order ---- */

struct range {
	const void *p;
	size_t n;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct range q[QLEN];
	size_t head, tail;	/* ranges queued, ranges written */
	int fd, err;
	bool done;
} w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		struct range r;

		pthread_mutex_lock(&w.mu);
		while (w.tail == w.head && !w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		if (w.tail == w.head) {
			pthread_mutex_unlock(&w.mu);
			return NULL;
		}
		r = w.q[w.tail % QLEN];
		pthread_mutex_unlock(&w.mu);
		while (r.n && !w.err) {
			ssize_t k = write(w.fd, r.p, r.n);

			if (k <= 0)
				w.err = k < 0 ? errno : ENOSPC;
			else {
				r.p = (const char *)r.p + k;
				r.n -= (size_t)k;
			}
		}
		pthread_mutex_lock(&w.mu);
		w.tail++;
		pthread_cond_broadcast(&w.cv);
		pthread_mutex_unlock(&w.mu);
	}
}

/* Queue N bytes at P (which must stay until written); return the
 * range's sequence number.  */
static size_t queue(const void *p, size_t n)
{
	size_t seq;

	pthread_mutex_lock(&w.mu);
	while (w.head - w.tail == QLEN)
		pthread_cond_wait(&w.cv, &w.mu);
	seq = w.head++;
	w.q[seq % QLEN] = (struct range){ p, n };
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
	return seq;
}

static void wait_written(size_t seq)
{
	pthread_mutex_lock(&w.mu);
	while (w.tail <= seq)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
}

/* ---- output built in chunks, each reused once written ---- */

static char *chunk[NCHUNKS];
static size_t chunk_seq[NCHUNKS];	/* 1 + range that used it; 0 none */
static size_t cur, used;
static uint64_t out_pos;

static void flush_chunk(void)
{
	if (!used)
		return;
	chunk_seq[cur] = 1 + queue(chunk[cur], used);
	cur = (cur + 1) % NCHUNKS;
	used = 0;
	if (chunk_seq[cur])
		wait_written(chunk_seq[cur] - 1);
}

/* Room for N bytes (N <= CHUNK) in the current chunk. */
static char *room(size_t n)
{
	char *p;

	if (CHUNK - used < n)
		flush_chunk();
	p = chunk[cur] + used;
	used += n;
	out_pos += n;
	return p;
}

static void put(const void *p, size_t n)
{
	while (n) {
		size_t k = n < CHUNK ? n : CHUNK;

		memcpy(room(k), p, k);
		p = (const char *)p + k;
		n -= k;
	}
}

/* Bytes that stay alive until the end: queued without a copy. */
static void put_ref(const void *p, size_t n)
{
	flush_chunk();
	if (n)
		queue(p, n);
	out_pos += n;
}

/* ---- growing byte arrays for appended names and new headers ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void *grow(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	b->len += n;
	return b->p + b->len - n;
}

static void append(struct buf *b, const char *s, size_t n)
{
	memcpy(grow(b, n), s, n);
}

#define APPEND_LIT(b, lit)	append((b), (lit), sizeof(lit) - 1)

int main(int argc, char **argv)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Sym *syms;
	const char *map, *strtab, *shstrtab;
	const char *objname[MAX_OBJS];
	size_t objlen[MAX_OBJS], nobjs = 0;
	size_t nsecs, shstrndx, symidx = 0, xidx = 0, stridx, nsyms, total;
	size_t done = 0;
	uint64_t str_off, shstr_off, shoff;
	uint32_t *kept;			/* entries a RELA section keeps */
	unsigned char *obj_of;
	Elf64_Ehdr ehdr;
	struct buf newstr = { 0 }, newshstr = { 0 }, newsh = { 0 };
	struct stat st;
	pthread_t thread;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: bare-convert INPUT OUTPUT\n");
		return 2;
	}
	in_path = argv[1];
	fd = open(in_path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		die("%s", strerror(errno));
	if ((size_t)st.st_size < sizeof(*eh))
		die("too small");
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		die("cannot map: %s", strerror(errno));

	/* ---- what the input must look like ---- */
	eh = (const void *)map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 ||
	    eh->e_shoff > (uint64_t)st.st_size - sizeof(Elf64_Shdr))
		die("not a little-endian ELF64 relocatable object");
	sh = (const void *)(map + eh->e_shoff);
	nsecs = eh->e_shnum ? eh->e_shnum : sh[0].sh_size;
	shstrndx = eh->e_shstrndx == SHN_XINDEX ? sh[0].sh_link : eh->e_shstrndx;
	if (nsecs < 2 || nsecs > ((uint64_t)st.st_size - eh->e_shoff) / sizeof(*sh) ||
	    shstrndx != nsecs - 1 ||
	    eh->e_shoff - sh[shstrndx].sh_offset - sh[shstrndx].sh_size >= 8)
		die("section headers do not follow .shstrtab, the last section");
	for (size_t i = 1; i < nsecs; i++) {
		if (sh[i].sh_type != SHT_NOBITS &&
		    (sh[i].sh_offset < sh[i - 1].sh_offset ||
		     sh[i].sh_offset + sh[i].sh_size > eh->e_shoff))
			die("[%zu]: sections are not in index order", i);
		if (sh[i].sh_type == SHT_SYMTAB)
			symidx = i;
		if (sh[i].sh_type == SHT_SYMTAB_SHNDX)
			xidx = i;
	}
	stridx = symidx ? sh[symidx].sh_link : 0;
	if (!symidx || stridx != shstrndx - 1 ||
	    (xidx ? xidx != symidx + 1 || stridx != xidx + 1
		  : stridx != symidx + 1) ||
	    sh[symidx].sh_entsize != sizeof(Elf64_Sym))
		die("not .symtab[, .symtab_shndx], .strtab, .shstrtab at the end");
	syms = (const void *)(map + sh[symidx].sh_offset);
	nsyms = sh[symidx].sh_size / sizeof(*syms);
	strtab = map + sh[stridx].sh_offset;
	shstrtab = map + sh[shstrndx].sh_offset;
	if (sh[stridx].sh_size == 0 || strtab[sh[stridx].sh_size - 1] ||
	    sh[shstrndx].sh_size == 0 || shstrtab[sh[shstrndx].sh_size - 1])
		die("string tables do not end with a NUL");

	/* ---- which symbols are klp_reloc.h's, and for which object ---- */
	obj_of = calloc(nsyms + 1, 1);
	if (!obj_of)
		die("out of memory");
	for (size_t i = 1; i < nsyms; i++) {
		const char *name = strtab + syms[i].st_name, *obj, *dot, *pos;
		size_t k;

		if (syms[i].st_shndx != SHN_UNDEF ||
		    syms[i].st_name >= sh[stridx].sh_size ||
		    strncmp(name, PREFIX, sizeof(PREFIX) - 1) != 0)
			continue;
		obj = name + sizeof(PREFIX) - 1;
		dot = strchr(obj, '.');
		pos = strrchr(obj, '.');
		if (!dot || !pos || pos == dot)
			die("symbol %zu: cannot parse %s", i, name);
		for (k = 0; k < nobjs; k++)
			if (objlen[k] == (size_t)(dot - obj) &&
			    memcmp(objname[k], obj, objlen[k]) == 0)
				break;
		if (k == nobjs) {
			if (nobjs == MAX_OBJS)
				die("more than %d objects", MAX_OBJS);
			objname[nobjs] = obj;
			objlen[nobjs++] = (size_t)(dot - obj);
		}
		obj_of[i] = (unsigned char)(k + 1);
		/* .klp.sym.<obj>.<sym>,<pos> */
		APPEND_LIT(&newstr, ".klp.sym.");
		append(&newstr, dot + 1, (size_t)(pos - dot - 1));
		APPEND_LIT(&newstr, ",");
		append(&newstr, pos + 1, strlen(pos + 1) + 1);
	}

	/* ---- the output ---- */
	tmp_path = xmalloc(strlen(argv[2]) + 8);
	sprintf(tmp_path, "%s.XXXXXX", argv[2]);
	w.fd = mkstemp(tmp_path);
	if (w.fd < 0) {
		free(tmp_path);
		tmp_path = NULL;
		die("cannot create a temporary file next to %s: %s", argv[2],
		    strerror(errno));
	}
	for (size_t c = 0; c < NCHUNKS; c++)
		chunk[c] = xmalloc(CHUNK);
	if (pthread_create(&thread, NULL, writer, NULL) != 0)
		die("cannot start the writer thread");

	/* Everything before .symtab, relocation sections regrouped: the
	 * bytes between them are copied as they are.  */
	kept = xmalloc(nsecs * sizeof(*kept));
	for (size_t i = 0; i < nsecs; i++)
		kept[i] = UINT32_MAX;
	for (size_t i = 1; i < symidx; i++) {
		const Elf64_Rela *r = (const void *)(map + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof(*r), count[MAX_OBJS + 1] = { 0 };
		size_t at[MAX_OBJS + 1], off;
		Elf64_Rela *d;
		const char *target;

		if (sh[i].sh_type != SHT_RELA || sh[i].sh_link != symidx ||
		    sh[i].sh_info >= nsecs ||
		    !(sh[sh[i].sh_info].sh_flags & SHF_ALLOC))
			continue;
		if (n * sizeof(*r) > CHUNK)
			die("[%zu]: relocation section over %d bytes", i, CHUNK);
		for (size_t j = 0; j < n; j++) {
			size_t s = ELF64_R_SYM(r[j].r_info);

			if (s >= nsyms)
				die("[%zu]: entry %zu: bad symbol index", i, j);
			count[obj_of[s]]++;
		}
		if (count[0] == n)
			continue;
		put(map + done, sh[i].sh_offset - done);
		done = sh[i].sh_offset + n * sizeof(*r);
		at[0] = 0;
		for (size_t k = 1; k <= nobjs; k++)
			at[k] = at[k - 1] + count[k - 1];
		d = (Elf64_Rela *)(void *)room(n * sizeof(*r));
		for (size_t j = 0; j < n; j++)
			d[at[obj_of[ELF64_R_SYM(r[j].r_info)]]++] = r[j];
		kept[i] = (uint32_t)count[0];

		/* the new sections' headers, after the input's */
		target = shstrtab + sh[sh[i].sh_info].sh_name;
		off = sh[i].sh_offset + count[0] * sizeof(*r);
		for (size_t k = 1; k <= nobjs; k++) {
			Elf64_Shdr *h;

			if (!count[k])
				continue;
			h = grow(&newsh, sizeof(*h));
			*h = sh[i];
			h->sh_flags |= SHF_ALLOC | SHF_RELA_LIVEPATCH;
			h->sh_offset = off;
			h->sh_size = count[k] * sizeof(*r);
			h->sh_name = (Elf64_Word)(sh[shstrndx].sh_size +
						  newshstr.len);
			off += h->sh_size;
			/* .klp.rela.<object>.<target name> */
			APPEND_LIT(&newshstr, ".klp.rela.");
			append(&newshstr, objname[k - 1], objlen[k - 1]);
			APPEND_LIT(&newshstr, ".");
			append(&newshstr, target, strlen(target) + 1);
		}
	}
	put(map + done, sh[symidx].sh_offset - done);

	/* .symtab with the klp symbols renamed, .symtab_shndx as it is */
	for (size_t i = 0, name = sh[stridx].sh_size; i < nsyms; i++) {
		Elf64_Sym *s = (Elf64_Sym *)(void *)room(sizeof(*s));

		*s = syms[i];
		if (!obj_of[i])
			continue;
		s->st_name = (Elf64_Word)name;
		s->st_shndx = SHN_LIVEPATCH;
		name += strlen(newstr.p + (name - sh[stridx].sh_size)) + 1;
	}
	if (xidx)
		put_ref(map + sh[xidx].sh_offset, sh[xidx].sh_size);

	/* .strtab and .shstrtab, each the input's then the new names */
	str_off = out_pos;
	put_ref(strtab, sh[stridx].sh_size);
	put_ref(newstr.p, newstr.len);
	shstr_off = out_pos;
	put_ref(shstrtab, sh[shstrndx].sh_size);
	put_ref(newshstr.p, newshstr.len);
	memset(room(-out_pos % 8), 0, -out_pos % 8);

	/* the section headers: the input's, changed, then the new ones */
	total = nsecs + newsh.len / sizeof(Elf64_Shdr);
	shoff = out_pos;
	for (size_t i = 0; i < nsecs; i++) {
		Elf64_Shdr *h = (Elf64_Shdr *)(void *)room(sizeof(*h));

		*h = sh[i];
		if (kept[i] != UINT32_MAX)
			h->sh_size = kept[i] * sizeof(Elf64_Rela);
		if (i == 0 && total >= SHN_LORESERVE)
			h->sh_size = total;
		if (i == stridx) {
			h->sh_offset = str_off;
			h->sh_size += newstr.len;
		}
		if (i == shstrndx) {
			h->sh_offset = shstr_off;
			h->sh_size += newshstr.len;
		}
	}
	put_ref(newsh.p, newsh.len);
	flush_chunk();
	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(thread, NULL);

	/* the ELF header last: where the headers went, how many */
	ehdr = *eh;
	ehdr.e_shoff = shoff;
	ehdr.e_shnum = total >= SHN_LORESERVE ? 0 : (Elf64_Half)total;
	if (w.err || pwrite(w.fd, &ehdr, sizeof(ehdr), 0) != sizeof(ehdr) ||
	    fchmod(w.fd, st.st_mode & 07777) != 0 || close(w.fd) != 0 ||
	    rename(tmp_path, argv[2]) != 0)
		die("cannot write %s: %s", argv[2],
		    strerror(w.err ? w.err : errno));
	return 0;
}
