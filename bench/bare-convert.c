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
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#define SHN_LIVEPATCH		0xff20
#define SHF_RELA_LIVEPATCH	0x00100000
#define PREFIX			".klp.sym.rela."
#define MAX_OBJS		255	/* an object's number fits a byte */

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
	bool prealloc;		/* the output is on ext4 or btrfs */
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

/* ---- the input, and what this program accepts of it ---- */

struct input {
	const char *map;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	size_t nsecs, shstrndx, symidx, xidx, stridx, nsyms;
	const Elf64_Sym *syms;
	const char *strtab, *shstrtab;
	mode_t mode;
};

static void read_input(struct input *in)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	struct stat st;
	int fd = open(in_path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0)
		die("%s", strerror(errno));
	if ((size_t)st.st_size < sizeof(*eh))
		die("too small");
	in->size = (size_t)st.st_size;
	in->mode = st.st_mode & 07777;
	in->map = mmap(NULL, in->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (in->map == MAP_FAILED)
		die("cannot map: %s", strerror(errno));
	close(fd);

	in->eh = eh = (const void *)in->map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 ||
	    eh->e_shoff > in->size - sizeof(Elf64_Shdr))
		die("not a little-endian ELF64 relocatable object");
	in->sh = sh = (const void *)(in->map + eh->e_shoff);
	in->nsecs = eh->e_shnum ? eh->e_shnum : sh[0].sh_size;
	in->shstrndx = eh->e_shstrndx == SHN_XINDEX ? sh[0].sh_link
						    : eh->e_shstrndx;
	if (in->nsecs < 2 ||
	    in->nsecs > (in->size - eh->e_shoff) / sizeof(*sh) ||
	    in->shstrndx != in->nsecs - 1 ||
	    eh->e_shoff - sh[in->shstrndx].sh_offset -
	    sh[in->shstrndx].sh_size >= 8)
		die("section headers do not follow .shstrtab, the last section");
	in->symidx = in->xidx = 0;
	for (size_t i = 1; i < in->nsecs; i++) {
		if (sh[i].sh_type != SHT_NOBITS &&
		    (sh[i].sh_offset < sh[i - 1].sh_offset ||
		     sh[i].sh_offset + sh[i].sh_size > eh->e_shoff))
			die("[%zu]: sections are not in index order", i);
		if (sh[i].sh_name >= sh[in->shstrndx].sh_size)
			die("[%zu]: name past the end of .shstrtab", i);
		if (sh[i].sh_type == SHT_SYMTAB)
			in->symidx = i;
		if (sh[i].sh_type == SHT_SYMTAB_SHNDX)
			in->xidx = i;
	}
	in->stridx = in->symidx ? sh[in->symidx].sh_link : 0;
	if (!in->symidx || in->stridx != in->shstrndx - 1 ||
	    in->stridx != (in->xidx ? in->xidx : in->symidx) + 1 ||
	    (in->xidx && in->xidx != in->symidx + 1) ||
	    sh[in->symidx].sh_entsize != sizeof(Elf64_Sym))
		die("not .symtab[, .symtab_shndx], .strtab, .shstrtab at the end");
	in->syms = (const void *)(in->map + sh[in->symidx].sh_offset);
	in->nsyms = sh[in->symidx].sh_size / sizeof(*in->syms);
	in->strtab = in->map + sh[in->stridx].sh_offset;
	in->shstrtab = in->map + sh[in->shstrndx].sh_offset;
	if (sh[in->stridx].sh_size == 0 ||
	    in->strtab[sh[in->stridx].sh_size - 1] ||
	    in->shstrtab[sh[in->shstrndx].sh_size - 1])
		die("string tables do not end with a NUL");
}

/* ---- the conversion ---- */

struct conv {
	unsigned char *obj_of;		/* [nsyms]: object number + 1, or 0 */
	const char *objname[MAX_OBJS];	/* in the input's .strtab */
	size_t objlen[MAX_OBJS], nobjs;
	size_t *count, *at;		/* [nobjs + 1], per section */
	uint32_t *kept;			/* [nsecs]: entries a RELA section
					 * keeps, or UINT32_MAX */
	struct buf newstr, newshstr, newsh;	/* appended names, headers */
};

/* Which symbols are klp_reloc.h's, for which object, and their names. */
static void find_klp_symbols(const struct input *in, struct conv *c)
{
	size_t strsize = in->sh[in->stridx].sh_size;

	c->obj_of = calloc(in->nsyms + 1, 1);
	if (!c->obj_of)
		die("out of memory");
	for (size_t i = 1; i < in->nsyms; i++) {
		const Elf64_Sym *sym = &in->syms[i];
		const char *name, *obj, *dot, *pos;
		size_t k;

		if (sym->st_shndx != SHN_UNDEF || sym->st_name >= strsize)
			continue;
		name = in->strtab + sym->st_name;
		if (strncmp(name, PREFIX, sizeof(PREFIX) - 1) != 0)
			continue;
		obj = name + sizeof(PREFIX) - 1;
		dot = strchr(obj, '.');
		pos = strrchr(obj, '.');
		if (!dot || !pos || pos == dot)
			die("symbol %zu: cannot parse %s", i, name);
		for (k = 0; k < c->nobjs; k++)
			if (c->objlen[k] == (size_t)(dot - obj) &&
			    memcmp(c->objname[k], obj, c->objlen[k]) == 0)
				break;
		if (k == c->nobjs) {
			if (c->nobjs == MAX_OBJS)
				die("more than %d objects", MAX_OBJS);
			c->objname[c->nobjs] = obj;
			c->objlen[c->nobjs++] = (size_t)(dot - obj);
		}
		c->obj_of[i] = (unsigned char)(k + 1);
		/* .klp.sym.<obj>.<sym>,<pos> */
		APPEND_LIT(&c->newstr, ".klp.sym.");
		append(&c->newstr, dot + 1, (size_t)(pos - dot - 1));
		APPEND_LIT(&c->newstr, ",");
		append(&c->newstr, pos + 1, strlen(pos + 1) + 1);
	}
	c->count = xmalloc((c->nobjs + 1) * sizeof(*c->count));
	c->at = xmalloc((c->nobjs + 1) * sizeof(*c->at));
	c->kept = xmalloc(in->nsecs * sizeof(*c->kept));
	for (size_t i = 0; i < in->nsecs; i++)
		c->kept[i] = UINT32_MAX;
}

/* Does relocation section I move entries?  Counts them in c->count. */
static bool count_moving(const struct input *in, struct conv *c, size_t i)
{
	const Elf64_Shdr *s = &in->sh[i];
	const Elf64_Rela *r = (const void *)(in->map + s->sh_offset);
	size_t n = s->sh_size / sizeof(*r);

	if (s->sh_type != SHT_RELA || s->sh_link != in->symidx ||
	    s->sh_info >= in->nsecs ||
	    !(in->sh[s->sh_info].sh_flags & SHF_ALLOC))
		return false;
	if (s->sh_size > CHUNK)
		die("[%zu]: relocation section over %d bytes", i, CHUNK);
	memset(c->count, 0, (c->nobjs + 1) * sizeof(*c->count));
	for (size_t j = 0; j < n; j++) {
		size_t sym = ELF64_R_SYM(r[j].r_info);

		if (sym >= in->nsyms)
			die("[%zu]: entry %zu: bad symbol index", i, j);
		c->count[c->obj_of[sym]]++;
	}
	return c->count[0] != n;
}

/* Relocation section I's bytes: its kept entries, then each object's,
 * in input order; and the headers and names of the new sections.  */
static void regroup(const struct input *in, struct conv *c, size_t i)
{
	const Elf64_Shdr *s = &in->sh[i];
	const Elf64_Rela *r = (const void *)(in->map + s->sh_offset);
	size_t n = s->sh_size / sizeof(*r);
	const char *target = in->shstrtab + in->sh[s->sh_info].sh_name;
	uint64_t off = s->sh_offset + c->count[0] * sizeof(*r);
	Elf64_Rela *d = (Elf64_Rela *)(void *)room(s->sh_size);

	c->at[0] = 0;
	for (size_t k = 1; k <= c->nobjs; k++)
		c->at[k] = c->at[k - 1] + c->count[k - 1];
	for (size_t j = 0; j < n; j++)
		d[c->at[c->obj_of[ELF64_R_SYM(r[j].r_info)]]++] = r[j];
	c->kept[i] = (uint32_t)c->count[0];

	for (size_t k = 1; k <= c->nobjs; k++) {
		Elf64_Shdr *h;

		if (!c->count[k])
			continue;
		h = grow(&c->newsh, sizeof(*h));
		*h = *s;
		h->sh_flags |= SHF_ALLOC | SHF_RELA_LIVEPATCH;
		h->sh_offset = off;
		h->sh_size = c->count[k] * sizeof(*r);
		h->sh_name = (Elf64_Word)(in->sh[in->shstrndx].sh_size +
					  c->newshstr.len);
		off += h->sh_size;
		/* .klp.rela.<object>.<target name> */
		APPEND_LIT(&c->newshstr, ".klp.rela.");
		append(&c->newshstr, c->objname[k - 1], c->objlen[k - 1]);
		APPEND_LIT(&c->newshstr, ".");
		append(&c->newshstr, target, strlen(target) + 1);
	}
}

/* Everything before .symtab: the bytes between regrouped relocation
 * sections are copied as they are.  */
static void write_body(const struct input *in, struct conv *c)
{
	size_t done = 0;

	for (size_t i = 1; i < in->symidx; i++) {
		if (!count_moving(in, c, i))
			continue;
		put(in->map + done, in->sh[i].sh_offset - done);
		regroup(in, c, i);
		done = in->sh[i].sh_offset + in->sh[i].sh_size;
	}
	put(in->map + done, in->sh[in->symidx].sh_offset - done);
}

/* .symtab renamed, .symtab_shndx, .strtab and .shstrtab extended, the
 * section headers.  Return where the headers went.  */
static uint64_t write_tail(const struct input *in, const struct conv *c)
{
	const Elf64_Shdr *sh = in->sh;
	size_t total = in->nsecs + c->newsh.len / sizeof(Elf64_Shdr);
	uint64_t str_off, shstr_off, shoff, len;

	/* The tail's blocks, allocated before it is written (see
	 * start_output()).  */
	len = sh[in->symidx].sh_size + (in->xidx ? sh[in->xidx].sh_size : 0) +
	      sh[in->stridx].sh_size + c->newstr.len +
	      sh[in->shstrndx].sh_size + c->newshstr.len;
	len += -(out_pos + len) % 8 + total * sizeof(Elf64_Shdr);
	if (w.prealloc)
		(void)fallocate(w.fd, FALLOC_FL_KEEP_SIZE, (off_t)out_pos,
				(off_t)len);

	for (size_t i = 0, name = sh[in->stridx].sh_size; i < in->nsyms; i++) {
		Elf64_Sym *s = (Elf64_Sym *)(void *)room(sizeof(*s));

		*s = in->syms[i];
		if (!c->obj_of[i])
			continue;
		s->st_name = (Elf64_Word)name;
		s->st_shndx = SHN_LIVEPATCH;
		name += strlen(c->newstr.p + (name - sh[in->stridx].sh_size)) + 1;
	}
	if (in->xidx)
		put_ref(in->map + sh[in->xidx].sh_offset, sh[in->xidx].sh_size);

	/* each string table: the input's, then the new names */
	str_off = out_pos;
	put_ref(in->strtab, sh[in->stridx].sh_size);
	put_ref(c->newstr.p, c->newstr.len);
	shstr_off = out_pos;
	put_ref(in->shstrtab, sh[in->shstrndx].sh_size);
	put_ref(c->newshstr.p, c->newshstr.len);
	memset(room(-out_pos % 8), 0, -out_pos % 8);

	/* the input's headers, changed, then the new ones */
	shoff = out_pos;
	for (size_t i = 0; i < in->nsecs; i++) {
		Elf64_Shdr *h = (Elf64_Shdr *)(void *)room(sizeof(*h));

		*h = sh[i];
		if (c->kept[i] != UINT32_MAX)
			h->sh_size = c->kept[i] * sizeof(Elf64_Rela);
		if (i == 0 && total >= SHN_LORESERVE)
			h->sh_size = total;
		if (i == in->stridx) {
			h->sh_offset = str_off;
			h->sh_size += c->newstr.len;
		}
		if (i == in->shstrndx) {
			h->sh_offset = shstr_off;
			h->sh_size += c->newshstr.len;
		}
	}
	put_ref(c->newsh.p, c->newsh.len);
	flush_chunk();
	return shoff;
}

/* ---- the output file ---- */

/*
 * The temporary output, and its writer thread.  On ext4 and btrfs the
 * body's blocks (the input's, up to BODY, every section keeping its
 * offset) are allocated at once with one fallocate(2), as
 * klp-convert-mini allocates its whole output there: writing into them
 * is cheaper.  A hint: errors are left to write(2).
 */
static pthread_t start_output(const char *out_path, uint64_t body)
{
	struct statfs fs;
	pthread_t thread;

	tmp_path = xmalloc(strlen(out_path) + 8);
	sprintf(tmp_path, "%s.XXXXXX", out_path);
	w.fd = mkstemp(tmp_path);
	if (w.fd < 0) {
		free(tmp_path);
		tmp_path = NULL;
		die("cannot create a temporary file next to %s: %s", out_path,
		    strerror(errno));
	}
	w.prealloc = fstatfs(w.fd, &fs) == 0 &&
		     (fs.f_type == EXT4_SUPER_MAGIC ||
		      fs.f_type == BTRFS_SUPER_MAGIC);
	if (w.prealloc)
		(void)fallocate(w.fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)body);
	for (size_t k = 0; k < NCHUNKS; k++)
		chunk[k] = xmalloc(CHUNK);
	if (pthread_create(&thread, NULL, writer, NULL) != 0)
		die("cannot start the writer thread");
	return thread;
}

/* Wait for the writer, write the ELF header last, rename. */
static void finish_output(pthread_t thread, const struct input *in,
			  const struct conv *c, uint64_t shoff,
			  const char *out_path)
{
	size_t total = in->nsecs + c->newsh.len / sizeof(Elf64_Shdr);
	Elf64_Ehdr ehdr = *in->eh;

	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(thread, NULL);

	ehdr.e_shoff = shoff;
	ehdr.e_shnum = total >= SHN_LORESERVE ? 0 : (Elf64_Half)total;
	if (w.err || pwrite(w.fd, &ehdr, sizeof(ehdr), 0) != sizeof(ehdr) ||
	    fchmod(w.fd, in->mode) != 0 || close(w.fd) != 0 ||
	    rename(tmp_path, out_path) != 0)
		die("cannot write %s: %s", out_path,
		    strerror(w.err ? w.err : errno));
}

int main(int argc, char **argv)
{
	struct input in;
	struct conv c = { 0 };
	pthread_t thread;

	if (argc != 3) {
		fprintf(stderr, "usage: bare-convert INPUT OUTPUT\n");
		return 2;
	}
	in_path = argv[1];
	read_input(&in);
	find_klp_symbols(&in, &c);
	thread = start_output(argv[2], in.sh[in.symidx].sh_offset);
	write_body(&in, &c);
	finish_output(thread, &in, &c, write_tail(&in, &c), argv[2]);
	return 0;
}
