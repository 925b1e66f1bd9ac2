// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp-verify.c - check a klp-convert-mini output against its input.
 *
 *   klp-verify INPUT OUTPUT
 *
 * Independent of the converter (it shares no code with it), written for
 * the benchmark's generated objects but general.  Checks, with libelf:
 *
 *  - the output keeps every input section at its index, name and type,
 *    with the same bytes for everything but relocation sections and the
 *    symbol/string tables, and appends only .klp.rela.* sections;
 *  - every .klp.sym.rela.<lp>.<obj>.<sym>.<pos> (or ...<sym>,<pos>) symbol
 *    is renamed .klp.sym.<obj>.<sym>,<pos> with st_shndx SHN_LIVEPATCH and
 *    the same index, bind, type; every other symbol is unchanged;
 *  - each relocation of an allocated section against such a symbol now
 *    lives in .klp.rela.<lp>.<target section name> (SHT_RELA, flags
 *    SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH, sh_link .symtab, sh_info
 *    the target, entsize 24), every other relocation stays in its
 *    section, offsets/types/addends are unchanged and order is kept.
 *
 * Prints "klp_syms=N klp_relocs=N klp_rela_sections=N other_relocs=N
 * sections=N unused_bytes=N" for the output (unused_bytes: bytes of the file
 * that neither a header nor a section covers, alignment padding included) and exits 0 when all holds; prints up to 20
 * problems and exits 1 otherwise (2 on usage or I/O errors).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif
#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH 0x00100000
#endif
#define KLP_RELA_FLAGS (SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH)
#define MAX_PROBLEMS 20

static unsigned long problems;

static void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "klp-verify: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void problem(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void problem(const char *fmt, ...)
{
	va_list ap;

	if (++problems > MAX_PROBLEMS)
		return;
	printf("klp-verify: FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

struct obj {
	const char *path;
	int fd;
	Elf *e;
	size_t shnum, shstrndx;
	GElf_Shdr *sh;
	const char **name;		/* section names */
	size_t symtab, strtab;		/* section indices */
	Elf_Data *symdata, *xdata;
	size_t nsyms;
	/* per section: list of relocation sections whose sh_info is it */
	size_t **relas;
	size_t *nrelas;
};

static void open_obj(struct obj *o, const char *path)
{
	Elf_Scn *scn = NULL;

	memset(o, 0, sizeof(*o));
	o->path = path;
	o->fd = open(path, O_RDONLY);
	if (o->fd < 0)
		fatal("%s: %s", path, strerror(errno));
	o->e = elf_begin(o->fd, ELF_C_READ_MMAP, NULL);
	if (!o->e || elf_kind(o->e) != ELF_K_ELF)
		fatal("%s: not an ELF file", path);
	if (gelf_getclass(o->e) != ELFCLASS64)
		fatal("%s: not ELF64", path);
	if (elf_getshdrnum(o->e, &o->shnum) || elf_getshdrstrndx(o->e, &o->shstrndx))
		fatal("%s: %s", path, elf_errmsg(-1));
	o->sh = xcalloc(o->shnum, sizeof(*o->sh));
	o->name = xcalloc(o->shnum, sizeof(*o->name));
	o->relas = xcalloc(o->shnum, sizeof(*o->relas));
	o->nrelas = xcalloc(o->shnum, sizeof(*o->nrelas));
	o->name[0] = "";
	while ((scn = elf_nextscn(o->e, scn))) {
		size_t i = elf_ndxscn(scn);
		const char *n;

		if (i >= o->shnum || !gelf_getshdr(scn, &o->sh[i]))
			fatal("%s: bad section %zu", path, i);
		n = elf_strptr(o->e, o->shstrndx, o->sh[i].sh_name);
		o->name[i] = n ? n : "<bad name>";
		if (o->sh[i].sh_type == SHT_SYMTAB) {
			if (o->symtab)
				fatal("%s: more than one .symtab", path);
			o->symtab = i;
			o->strtab = o->sh[i].sh_link;
			o->symdata = elf_getdata(scn, NULL);
			if (!o->symdata)
				fatal("%s: .symtab: %s", path, elf_errmsg(-1));
			o->nsyms = o->sh[i].sh_size / sizeof(Elf64_Sym);
		}
	}
	if (!o->symtab)
		fatal("%s: no .symtab", path);
	/* .symtab_shndx, and the relocation sections per target */
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr *s = &o->sh[i];

		if (s->sh_type == SHT_SYMTAB_SHNDX && s->sh_link == o->symtab) {
			o->xdata = elf_getdata(elf_getscn(o->e, i), NULL);
			if (!o->xdata)
				fatal("%s: .symtab_shndx: %s", path, elf_errmsg(-1));
		}
		if ((s->sh_type == SHT_RELA || s->sh_type == SHT_REL) &&
		    s->sh_info > 0 && s->sh_info < o->shnum)
			o->nrelas[s->sh_info]++;
	}
	for (size_t i = 1; i < o->shnum; i++)
		if (o->nrelas[i]) {
			o->relas[i] = xcalloc(o->nrelas[i], sizeof(size_t));
			o->nrelas[i] = 0;
		}
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr *s = &o->sh[i];

		if ((s->sh_type == SHT_RELA || s->sh_type == SHT_REL) &&
		    s->sh_info > 0 && s->sh_info < o->shnum)
			o->relas[s->sh_info][o->nrelas[s->sh_info]++] = i;
	}
}

static void get_sym(struct obj *o, size_t i, GElf_Sym *sym, Elf32_Word *xndx,
		    const char **name)
{
	const char *n;

	*xndx = 0;
	if (!gelf_getsymshndx(o->symdata, o->xdata, (int)i, sym, xndx))
		fatal("%s: symbol %zu: %s", o->path, i, elf_errmsg(-1));
	n = elf_strptr(o->e, o->strtab, sym->st_name);
	*name = n ? n : "<bad name>";
}

/* Resolved section index of a symbol. */
static size_t sym_shndx(const GElf_Sym *sym, Elf32_Word xndx)
{
	return sym->st_shndx == SHN_XINDEX ? xndx : sym->st_shndx;
}

/*
 * Parse ".klp.sym.rela.<lp>.<obj>.<sym>.<pos>" or "...<sym>,<pos>" into
 * the converted name ".klp.sym.<obj>.<sym>,<pos>" and <lp>.
 */
static int parse_klp(const char *name, char **converted, char **lp)
{
	static const char prefix[] = ".klp.sym.rela.";
	const char *p = name + sizeof(prefix) - 1, *d1, *d2, *sep;
	size_t n;

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return 0;
	d1 = strchr(p, '.');
	if (!d1)
		return -1;
	d2 = strchr(d1 + 1, '.');
	if (!d2)
		return -1;
	sep = strrchr(d2 + 1, ',');
	if (!sep)
		sep = strrchr(d2 + 1, '.');
	if (!sep || sep == d2 + 1 || !sep[1])
		return -1;
	n = strlen(name) + 16;
	*converted = xcalloc(n, 1);
	snprintf(*converted, n, ".klp.sym.%.*s,%s", (int)(sep - (d1 + 1)),
		 d1 + 1, sep + 1);
	*lp = xcalloc((size_t)(d1 - p) + 1, 1);
	memcpy(*lp, p, (size_t)(d1 - p));
	return 1;
}

struct rel {
	uint64_t off;
	int64_t addend;
	uint32_t type;
	uint32_t sym;		/* symbol index (indices are preserved) */
	size_t sec;		/* relocation section it was found in */
	size_t pos;		/* position in that section */
};

static int rel_cmp(const void *a, const void *b)
{
	const struct rel *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->addend != y->addend)
		return x->addend < y->addend ? -1 : 1;
	if (x->sym != y->sym)
		return x->sym < y->sym ? -1 : 1;
	return 0;
}

struct vec {
	struct rel *v;
	size_t n, cap;
};

static void collect(struct obj *o, size_t sec, struct vec *out)
{
	Elf_Data *d = elf_getdata(elf_getscn(o->e, sec), NULL);
	size_t n;

	if (o->sh[sec].sh_type != SHT_RELA) {
		problem("%s: [%zu] %s: not SHT_RELA", o->path, sec, o->name[sec]);
		return;
	}
	if (!d)
		fatal("%s: [%zu] %s: %s", o->path, sec, o->name[sec], elf_errmsg(-1));
	n = o->sh[sec].sh_size / sizeof(Elf64_Rela);
	if (out->n + n > out->cap) {
		out->cap = (out->n + n) * 2;
		out->v = realloc(out->v, out->cap * sizeof(*out->v));
		if (!out->v)
			fatal("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		struct rel *x = &out->v[out->n++];

		if (!gelf_getrela(d, (int)i, &r))
			fatal("%s: [%zu]: %s", o->path, sec, elf_errmsg(-1));
		x->off = r.r_offset;
		x->addend = r.r_addend;
		x->type = (uint32_t)GELF_R_TYPE(r.r_info);
		x->sym = (uint32_t)GELF_R_SYM(r.r_info);
		x->sec = sec;
		x->pos = i;
	}
}

struct extent {
	uint64_t off, end;
};

static int extent_cmp(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Bytes of the file outside the ELF header, section headers and sections. */
static uint64_t unused_bytes(const struct obj *o)
{
	struct extent *x = xcalloc(o->shnum + 2, sizeof(*x));
	size_t n = 0, size;
	uint64_t covered = 0, reach = 0;
	GElf_Ehdr eh;
	const char *raw = elf_rawfile(o->e, &size);

	if (!raw || !gelf_getehdr(o->e, &eh))
		fatal("%s: %s", o->path, elf_errmsg(-1));
	x[n++] = (struct extent){ 0, sizeof(Elf64_Ehdr) };
	x[n++] = (struct extent){ eh.e_shoff,
				  eh.e_shoff + (uint64_t)o->shnum * sizeof(Elf64_Shdr) };
	for (size_t i = 1; i < o->shnum; i++)
		if (o->sh[i].sh_type != SHT_NOBITS && o->sh[i].sh_size)
			x[n++] = (struct extent){ o->sh[i].sh_offset,
						  o->sh[i].sh_offset + o->sh[i].sh_size };
	qsort(x, n, sizeof(*x), extent_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t from = x[i].off > reach ? x[i].off : reach;

		if (x[i].end > from)
			covered += x[i].end - from;
		if (x[i].end > reach)
			reach = x[i].end;
	}
	free(x);
	return size > covered ? size - covered : 0;
}

static int is_table(const struct obj *o, size_t i)
{
	uint32_t t = o->sh[i].sh_type;

	return t == SHT_RELA || t == SHT_REL || t == SHT_SYMTAB ||
	       t == SHT_SYMTAB_SHNDX || i == o->strtab || i == o->shstrndx;
}

int main(int argc, char **argv)
{
	struct obj in, out;
	unsigned long klp_syms = 0, klp_relocs = 0, klp_secs = 0, other = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: klp-verify INPUT OUTPUT\n");
		return 2;
	}
	if (elf_version(EV_CURRENT) == EV_NONE)
		fatal("libelf: %s", elf_errmsg(-1));
	open_obj(&in, argv[1]);
	open_obj(&out, argv[2]);

	/* ---- sections ---- */
	if (out.shnum < in.shnum)
		problem("output has %zu sections, input %zu", out.shnum, in.shnum);
	for (size_t i = 1; i < in.shnum && i < out.shnum; i++) {
		if (strcmp(in.name[i], out.name[i]) ||
		    in.sh[i].sh_type != out.sh[i].sh_type) {
			problem("section [%zu] %s became %s", i, in.name[i],
				out.name[i]);
			continue;
		}
		if (is_table(&in, i) || in.sh[i].sh_type == SHT_NOBITS)
			continue;
		Elf_Data *a = elf_rawdata(elf_getscn(in.e, i), NULL);
		Elf_Data *b = elf_rawdata(elf_getscn(out.e, i), NULL);
		size_t na = a ? a->d_size : 0, nb = b ? b->d_size : 0;

		if (na != nb || (na && memcmp(a->d_buf, b->d_buf, na)))
			problem("section [%zu] %s: contents changed", i, in.name[i]);
	}
	if (out.symtab != in.symtab)
		problem(".symtab moved from [%zu] to [%zu]", in.symtab, out.symtab);
	if (out.nsyms != in.nsyms)
		problem(".symtab has %zu symbols, input %zu", out.nsyms, in.nsyms);

	/* ---- symbols ---- */
	char **conv = xcalloc(in.nsyms, sizeof(*conv));
	char **lp = xcalloc(in.nsyms, sizeof(*lp));

	for (size_t i = 1; i < in.nsyms && i < out.nsyms; i++) {
		GElf_Sym a, b;
		Elf32_Word xa, xb;
		const char *na, *nb;
		int k;

		get_sym(&in, i, &a, &xa, &na);
		get_sym(&out, i, &b, &xb, &nb);
		k = a.st_shndx == SHN_UNDEF ? parse_klp(na, &conv[i], &lp[i]) : 0;
		if (k < 0) {
			problem("input symbol %zu '%s' cannot be parsed", i, na);
			continue;
		}
		if (GELF_ST_BIND(a.st_info) != GELF_ST_BIND(b.st_info) ||
		    GELF_ST_TYPE(a.st_info) != GELF_ST_TYPE(b.st_info))
			problem("symbol %zu '%s': bind/type changed", i, na);
		if (k > 0) {
			if (strcmp(nb, conv[i]))
				problem("symbol %zu '%s' renamed '%s', want '%s'",
					i, na, nb, conv[i]);
			else if (b.st_shndx != SHN_LIVEPATCH)
				problem("symbol %zu '%s': st_shndx %#x, want SHN_LIVEPATCH",
					i, nb, b.st_shndx);
			else
				klp_syms++;
			continue;
		}
		if (strcmp(na, nb) || sym_shndx(&a, xa) != sym_shndx(&b, xb) ||
		    a.st_value != b.st_value || a.st_size != b.st_size)
			problem("symbol %zu '%s' changed (now '%s' in [%zu])", i, na,
				nb, sym_shndx(&b, xb));
	}
	for (size_t i = 1; i < out.nsyms; i++) {
		GElf_Sym b;
		Elf32_Word xb;
		const char *nb;

		get_sym(&out, i, &b, &xb, &nb);
		if (!strncmp(nb, ".klp.sym.rela.", 14))
			problem("symbol %zu '%s' left unconverted", i, nb);
	}

	/* ---- appended sections ---- */
	for (size_t i = in.shnum; i < out.shnum; i++) {
		GElf_Shdr *s = &out.sh[i];

		if (strncmp(out.name[i], ".klp.rela.", 10)) {
			problem("appended section [%zu] %s is not .klp.rela.*", i,
				out.name[i]);
			continue;
		}
		klp_secs++;
		if (s->sh_type != SHT_RELA || s->sh_flags != KLP_RELA_FLAGS ||
		    s->sh_link != out.symtab || s->sh_entsize != sizeof(Elf64_Rela) ||
		    !s->sh_info || s->sh_info >= in.shnum)
			problem("[%zu] %s: type %u flags %#" PRIx64 " link %u info %u "
				"entsize %" PRIu64 ", want RELA %#x link %zu entsize 24",
				i, out.name[i], s->sh_type, (uint64_t)s->sh_flags,
				s->sh_link, s->sh_info, (uint64_t)s->sh_entsize,
				KLP_RELA_FLAGS, out.symtab);
	}
	for (size_t i = 1; i < in.shnum && i < out.shnum; i++)
		if (!strncmp(out.name[i], ".klp.rela.", 10))
			problem("input already has [%zu] %s", i, out.name[i]);

	/* ---- relocations, per target section ---- */
	struct vec vi = { 0 }, vo = { 0 };
	char *want = NULL;
	size_t want_cap = 0;

	for (size_t t = 1; t < in.shnum; t++) {
		int alloc = (in.sh[t].sh_flags & SHF_ALLOC) != 0;

		vi.n = vo.n = 0;
		for (size_t j = 0; j < in.nrelas[t]; j++)
			collect(&in, in.relas[t][j], &vi);
		if (t < out.shnum)
			for (size_t j = 0; j < out.nrelas[t]; j++)
				collect(&out, out.relas[t][j], &vo);
		if (!vi.n && !vo.n)
			continue;

		/* order kept: each output section's entries in input order */
		for (size_t j = 1; j < vo.n; j++) {
			struct rel *x = &vo.v[j - 1], *y = &vo.v[j];

			if (x->sec == y->sec && y->off < x->off) {
				int in_sorted = 1;

				for (size_t m = 1; m < vi.n; m++)
					if (vi.v[m].off < vi.v[m - 1].off)
						in_sorted = 0;
				if (in_sorted)
					problem("[%zu] %s: relocations out of order at +%#" PRIx64,
						y->sec, out.name[y->sec], y->off);
				break;
			}
		}

		qsort(vi.v, vi.n, sizeof(*vi.v), rel_cmp);
		qsort(vo.v, vo.n, sizeof(*vo.v), rel_cmp);
		if (vi.n != vo.n) {
			problem("[%zu] %s: %zu relocations in, %zu out", t,
				in.name[t], vi.n, vo.n);
			continue;
		}
		for (size_t j = 0; j < vi.n; j++) {
			struct rel *a = &vi.v[j], *b = &vo.v[j];
			int moves = alloc && a->sym < in.nsyms && conv[a->sym];

			if (rel_cmp(a, b)) {
				problem("[%zu] %s+%#" PRIx64 ": relocation changed "
					"(type %u sym %u addend %" PRId64 " -> +%#" PRIx64
					" type %u sym %u addend %" PRId64 ")",
					t, in.name[t], a->off, a->type, a->sym,
					a->addend, b->off, b->type, b->sym, b->addend);
				break;
			}
			if (!moves) {
				if (b->sec >= in.shnum)
					problem("[%zu] %s+%#" PRIx64 ": moved to %s, "
						"but it is not a klp relocation",
						t, in.name[t], a->off, out.name[b->sec]);
				else
					other++;
				continue;
			}
			size_t need = strlen(lp[a->sym]) + strlen(in.name[t]) + 16;

			if (need > want_cap) {
				want_cap = need * 2;
				free(want);
				want = xcalloc(want_cap, 1);
			}
			snprintf(want, want_cap, ".klp.rela.%s.%s", lp[a->sym],
				 in.name[t]);
			if (b->sec < in.shnum || strcmp(out.name[b->sec], want))
				problem("[%zu] %s+%#" PRIx64 ": against %s, found in "
					"[%zu] %s, want %s", t, in.name[t], a->off,
					conv[a->sym], b->sec, out.name[b->sec], want);
			else
				klp_relocs++;
		}
	}
	/* relocation sections that lost entries are still SHT_RELA of right size */
	for (size_t i = 1; i < in.shnum && i < out.shnum; i++)
		if (out.sh[i].sh_type == SHT_RELA &&
		    out.sh[i].sh_size % sizeof(Elf64_Rela))
			problem("[%zu] %s: size %" PRIu64 " not a multiple of 24", i,
				out.name[i], (uint64_t)out.sh[i].sh_size);

	if (problems > MAX_PROBLEMS)
		printf("klp-verify: ... %lu problems in all\n", problems);
	printf("klp_syms=%lu klp_relocs=%lu klp_rela_sections=%lu other_relocs=%lu "
	       "sections=%zu unused_bytes=%" PRIu64 "\n", klp_syms, klp_relocs,
	       klp_secs, other, out.shnum, unused_bytes(&out));

	for (size_t i = 0; i < in.nsyms; i++) {
		free(conv[i]);
		free(lp[i]);
	}
	free(conv);
	free(lp);
	free(want);
	free(vi.v);
	free(vo.v);
	/* the objects are left to process exit */
	return problems ? 1 : 0;
}
