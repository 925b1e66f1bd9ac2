// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen-klp-object.c - write a big livepatch-like x86_64 ELF64 relocatable
 * object, the input klp-convert-mini sees after the final link of a .ko.
 *
 * Part of klp-convert-mini's benchmark (bench/bench.sh).  The file is
 * written by hand, in one pass, so a cumulative patch of 100,000 functions
 * and 2,000,000 relocations takes well under a second to make.
 *
 * Layout (section index: contents):
 *
 *   0            null; with extended numbering sh_size = e_shnum and
 *                sh_link = e_shstrndx
 *   1            .data      PROGBITS WA, holds the local bench_data
 *   2            .bss       NOBITS   WA, holds the local bench_bss
 *   3            .modinfo   "livepatch=Y\0name=bench\0license=GPL\0"
 *   4 + 2i       .text.fn_<i>       PROGBITS AX, the static function
 *                                   livepatch_fn_<i>
 *   5 + 2i       .rela.text.fn_<i>  its R relocations
 *   4 + 2F       .note.GNU-stack
 *   with -D N    .debug_info (not allocated), .rela.debug_info: N
 *                R_X86_64_64 relocations alternately against klp symbols
 *                and section symbols, which a conversion must leave alone
 *   then         .symtab, .symtab_shndx (only if some symbol's section index
 *                is >= SHN_LORESERVE), .strtab, .shstrtab
 *
 * Function i patches object p = i % O (object 0 is vmlinux, the others are
 * modules).  Its relocation j sits at offset 8j + 4 (4-byte aligned, the
 * four bytes there are zero, addend -4 unless noted) and its target is
 * chosen by j % 10:
 *
 *   0..6  a .klp.sym.rela.<obj>.<obj>.<sym>.<pos> symbol (PLT32 for even
 *         symbol numbers, PC32 for odd ones); in a function patching a
 *         module, even-numbered klp relocations go to that module's
 *         symbols, odd-numbered ones to vmlinux'
 *   7     an ordinary undefined (exported) symbol such as _printk, PLT32
 *   8     local data: .data or .bss section symbol (addend = offset - 4),
 *         or the local object symbols bench_data / bench_bss, PC32
 *   9     the next static function, livepatch_fn_<i+1>, PLT32
 *
 * Every klp symbol is referenced at least once when there are enough klp
 * relocations for its object; the rest are chosen at random (-s seed).
 * The counts that a correct conversion must produce are printed on stdout
 * as key=value lines (klp_syms, klp_relocs, klp_rela_sections, ...).
 */
#define _POSIX_C_SOURCE 200809L

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif

#define TEXT_ALIGN 16
#define SLOT 8			/* bytes of text per relocation */

static const char *prog = "gen-klp-object";

static const char *const module_names[] = {
	"ext4", "xfs", "kvm", "kvm_intel", "nfsd", "btrfs", "i915",
	"mlx5_core", "nf_tables", "snd_hda_intel", "bluetooth", "usbcore",
};

static const char *const exported_names[] = {
	"_printk", "printk", "__fentry__", "__x86_return_thunk", "kfree",
	"kmalloc_trace", "mutex_lock", "mutex_unlock", "klp_enable_patch",
	"__stack_chk_fail", "memcpy", "memset", "strlen", "seq_printf",
	"_raw_spin_lock", "_raw_spin_unlock",
};

#define N_MODULE_NAMES (sizeof(module_names) / sizeof(module_names[0]))
#define N_EXPORTED_NAMES (sizeof(exported_names) / sizeof(exported_names[0]))

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

/* ---- string tables ---- */

struct strtab {
	char *buf;
	size_t len, cap;
};

static uint32_t str_add(struct strtab *s, const char *str)
{
	size_t n = strlen(str) + 1;
	size_t off = s->len;

	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (s->len + n > cap)
			cap *= 2;
		s->buf = realloc(s->buf, cap);
		if (!s->buf)
			die("out of memory (string table of %zu bytes)", cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, str, n);
	s->len += n;
	if (off > UINT32_MAX)
		die("string table larger than 4 GiB");
	return (uint32_t)off;
}

static void str_init(struct strtab *s)
{
	memset(s, 0, sizeof(*s));
	str_add(s, "");
}

/* ---- random numbers (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(rng_next() % n);
}

/* ---- output with offset tracking ---- */

struct out {
	FILE *f;
	const char *path;
	uint64_t off;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, o->f) != n)
		die("%s: write failed: %s", o->path, strerror(errno));
	o->off += n;
}

static void pad_to(struct out *o, uint64_t align)
{
	static const unsigned char zeros[64];

	while (o->off % align) {
		size_t n = (size_t)(align - o->off % align);

		put(o, zeros, n < sizeof(zeros) ? n : sizeof(zeros));
	}
}

/* ---- parameters ---- */

static unsigned long parse_num(const char *opt, const char *arg,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max)
		die("-%s: '%s' is not a number in %lu..%lu", opt, arg, min,
		    max);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [-F N] [-R N] [-K N] [-O N] [-U N] [-D N] [-s SEED] [-q] -o OUT\n"
"Write a livepatch-like x86_64 ELF64 relocatable object for benchmarking\n"
"klp-convert-mini, and print the counts a correct conversion produces.\n"
"  -F N   patched functions, each in .text.fn_<i> with .rela.text.fn_<i> (default 10)\n"
"  -R N   relocations per function (default 20)\n"
"  -K N   distinct .klp.sym.rela.* symbols (default 100)\n"
"  -O N   objects they live in: vmlinux plus N-1 modules (default 4)\n"
"  -U N   ordinary undefined (exported) symbols such as _printk (default 16)\n"
"  -D N   add a non-allocated .debug_info with N R_X86_64_64 relocations, half\n"
"         against klp symbols; they must stay where they are (default 0)\n"
"  -s N   random seed (default 1)\n"
"  -o F   output file (required)\n"
"  -q     print nothing\n", prog);
}

struct gen {
	uint32_t F, R, K, O, U, D;
	uint64_t seed;
	const char *out;
	int quiet;
};

/* ---- the generator ---- */

/* Symbols of object o are numbered k = o, o + O, o + 2O, ... < K. */
static uint32_t syms_of_obj(const struct gen *g, uint32_t o)
{
	return o < g->K ? (g->K - o + g->O - 1) / g->O : 0;
}

static void obj_name(const struct gen *g, uint32_t o, char *buf, size_t n)
{
	(void)g;
	if (o == 0)
		snprintf(buf, n, "vmlinux");
	else if (o - 1 < N_MODULE_NAMES)
		snprintf(buf, n, "%s", module_names[o - 1]);
	else
		snprintf(buf, n, "bench_mod%" PRIu32, o);
}

int main(int argc, char **argv)
{
	struct gen g = { .F = 10, .R = 20, .K = 100, .O = 4, .U = 16,
			 .seed = 1 };
	int c;

	if (argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	while ((c = getopt(argc, argv, "F:R:K:O:U:D:s:o:qh")) != -1) {
		switch (c) {
		case 'F': g.F = (uint32_t)parse_num("F", optarg, 1, 50000000); break;
		case 'R': g.R = (uint32_t)parse_num("R", optarg, 1, 1000000); break;
		case 'K': g.K = (uint32_t)parse_num("K", optarg, 1, 50000000); break;
		case 'O': g.O = (uint32_t)parse_num("O", optarg, 1, 1000000); break;
		case 'U': g.U = (uint32_t)parse_num("U", optarg, 1, 1000000); break;
		case 'D': g.D = (uint32_t)parse_num("D", optarg, 0, 50000000); break;
		case 's': g.seed = parse_num("s", optarg, 0, ULONG_MAX); break;
		case 'o': g.out = optarg; break;
		case 'q': g.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !g.out) {
		usage(stderr);
		return 2;
	}
	if (g.O > g.K)
		die("-O %" PRIu32 " objects need at least as many klp symbols (-K)",
		    g.O);
	if ((uint64_t)g.F * g.R * 24 > (uint64_t)1 << 40)
		die("-F x -R too large");
	{
		const uint16_t probe = 1;

		if (*(const unsigned char *)&probe != 1)
			die("this generator writes host-order structures and needs a little-endian host");
	}
	rng_state = g.seed;

	/* ---- section indices ---- */
	const uint64_t SEC_DATA = 1, SEC_BSS = 2, SEC_MODINFO = 3;
#define SEC_TEXT(i) (4 + 2 * (uint64_t)(i))
#define SEC_RELA(i) (5 + 2 * (uint64_t)(i))
	const uint64_t SEC_NOTE = 4 + 2 * (uint64_t)g.F;
	/* optional .debug_info and its relocations */
	const uint64_t SEC_DEBUG = g.D ? SEC_NOTE + 1 : 0;
	const uint64_t SEC_DEBUG_RELA = g.D ? SEC_NOTE + 2 : 0;
	const uint64_t SEC_SYMTAB = SEC_NOTE + 1 + (g.D ? 2 : 0);
	/* Section symbols and function symbols point at .text.fn_<i>. */
	const int need_xindex = SEC_TEXT(g.F - 1) >= SHN_LORESERVE;
	const uint64_t SEC_SHNDX = need_xindex ? SEC_SYMTAB + 1 : 0;
	const uint64_t SEC_STRTAB = SEC_SYMTAB + 1 + (need_xindex ? 1 : 0);
	const uint64_t SEC_SHSTRTAB = SEC_STRTAB + 1;
	const uint64_t nsec = SEC_SHSTRTAB + 1;

	if (nsec > UINT32_MAX)
		die("too many sections");

	/* ---- symbol indices ---- */
	const uint64_t SYM_FILE = 1;
	const uint64_t SYM_SEC_DATA = 2, SYM_SEC_BSS = 3, SYM_SEC_MODINFO = 4;
#define SYM_SEC_TEXT(i) (5 + (uint64_t)(i))
	const uint64_t SYM_DATA_OBJ = 5 + (uint64_t)g.F;
	const uint64_t SYM_BSS_OBJ = SYM_DATA_OBJ + 1;
#define SYM_FN(i) (SYM_BSS_OBJ + 1 + (uint64_t)(i))
	const uint64_t SYM_FIRST_GLOBAL = SYM_FN(g.F);
#define SYM_KLP(k) (SYM_FIRST_GLOBAL + (uint64_t)(k))
#define SYM_ORD(u) (SYM_FIRST_GLOBAL + (uint64_t)g.K + (uint64_t)(u))
	const uint64_t nsym = SYM_ORD(g.U);

	if (nsym > UINT32_MAX)
		die("too many symbols");

	/* ---- .data / .bss / .modinfo contents ---- */
	static const char modinfo[] = "livepatch=Y\0name=bench\0license=GPL";
	unsigned char data[64];
	const uint64_t bss_size = 256;
	const uint64_t data_obj_off = 16, bss_obj_off = 64;

	for (size_t b = 0; b < sizeof(data); b++)
		data[b] = (unsigned char)(0xa5 ^ b);

	/* ---- one function's text: R slots "nop nop nop call rel32=0", ret ---- */
	const uint64_t text_size = (uint64_t)SLOT * g.R + SLOT;
	unsigned char *text = xmalloc(text_size);

	for (uint64_t j = 0; j < g.R; j++) {
		unsigned char *s = text + SLOT * j;

		s[0] = 0x90; s[1] = 0x90; s[2] = 0x90; s[3] = 0xe8;
		s[4] = s[5] = s[6] = s[7] = 0;
	}
	memset(text + SLOT * (uint64_t)g.R, 0xcc, SLOT);
	text[SLOT * (uint64_t)g.R] = 0xc3;
	const uint64_t fn_size = (uint64_t)SLOT * g.R + 1;

	/* ---- string tables and symbols ---- */
	struct strtab shstr, str;
	Elf64_Shdr *sh = xcalloc(nsec, sizeof(*sh));
	Elf64_Sym *sym = xcalloc(nsym, sizeof(*sym));
	Elf32_Word *shndx = need_xindex ? xcalloc(nsym, sizeof(*shndx)) : NULL;
	char name[1024], obj[64];

	str_init(&shstr);
	str_init(&str);

	sh[SEC_DATA].sh_name = str_add(&shstr, ".data");
	sh[SEC_BSS].sh_name = str_add(&shstr, ".bss");
	sh[SEC_MODINFO].sh_name = str_add(&shstr, ".modinfo");
	for (uint32_t i = 0; i < g.F; i++) {
		/* ".text.fn_<i>" is the tail of ".rela.text.fn_<i>". */
		snprintf(name, sizeof(name), ".rela.text.fn_%" PRIu32, i);
		sh[SEC_RELA(i)].sh_name = str_add(&shstr, name);
		sh[SEC_TEXT(i)].sh_name = sh[SEC_RELA(i)].sh_name + 5;
	}
	sh[SEC_NOTE].sh_name = str_add(&shstr, ".note.GNU-stack");
	if (g.D) {
		sh[SEC_DEBUG_RELA].sh_name = str_add(&shstr, ".rela.debug_info");
		sh[SEC_DEBUG].sh_name = sh[SEC_DEBUG_RELA].sh_name + 5;
	}
	sh[SEC_SYMTAB].sh_name = str_add(&shstr, ".symtab");
	if (need_xindex)
		sh[SEC_SHNDX].sh_name = str_add(&shstr, ".symtab_shndx");
	sh[SEC_STRTAB].sh_name = str_add(&shstr, ".strtab");
	sh[SEC_SHSTRTAB].sh_name = str_add(&shstr, ".shstrtab");

#define SET_SHNDX(s, idx) do {						\
		uint64_t idx_ = (idx);					\
		if (idx_ >= SHN_LORESERVE) {				\
			sym[s].st_shndx = SHN_XINDEX;			\
			shndx[s] = (Elf32_Word)idx_;			\
		} else {						\
			sym[s].st_shndx = (Elf64_Half)idx_;		\
		}							\
	} while (0)

	sym[SYM_FILE].st_name = str_add(&str, "bench.c");
	sym[SYM_FILE].st_info = ELF64_ST_INFO(STB_LOCAL, STT_FILE);
	sym[SYM_FILE].st_shndx = SHN_ABS;

	sym[SYM_SEC_DATA].st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
	SET_SHNDX(SYM_SEC_DATA, SEC_DATA);
	sym[SYM_SEC_BSS].st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
	SET_SHNDX(SYM_SEC_BSS, SEC_BSS);
	sym[SYM_SEC_MODINFO].st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
	SET_SHNDX(SYM_SEC_MODINFO, SEC_MODINFO);
	for (uint32_t i = 0; i < g.F; i++) {
		sym[SYM_SEC_TEXT(i)].st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
		SET_SHNDX(SYM_SEC_TEXT(i), SEC_TEXT(i));
	}

	sym[SYM_DATA_OBJ].st_name = str_add(&str, "bench_data");
	sym[SYM_DATA_OBJ].st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT);
	sym[SYM_DATA_OBJ].st_value = data_obj_off;
	sym[SYM_DATA_OBJ].st_size = 8;
	SET_SHNDX(SYM_DATA_OBJ, SEC_DATA);
	sym[SYM_BSS_OBJ].st_name = str_add(&str, "bench_bss");
	sym[SYM_BSS_OBJ].st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT);
	sym[SYM_BSS_OBJ].st_value = bss_obj_off;
	sym[SYM_BSS_OBJ].st_size = 64;
	SET_SHNDX(SYM_BSS_OBJ, SEC_BSS);

	for (uint32_t i = 0; i < g.F; i++) {
		snprintf(name, sizeof(name), "livepatch_fn_%" PRIu32, i);
		sym[SYM_FN(i)].st_name = str_add(&str, name);
		sym[SYM_FN(i)].st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
		sym[SYM_FN(i)].st_size = fn_size;
		SET_SHNDX(SYM_FN(i), SEC_TEXT(i));
	}

	for (uint32_t k = 0; k < g.K; k++) {
		uint32_t pos = k % 4 == 3 ? 1 + (k / 4) % 3 : 0;
		const char *suffix = k % 7 == 5 ? ".isra.0" :
				     k % 11 == 9 ? ".cold" : "";

		obj_name(&g, k % g.O, obj, sizeof(obj));
		snprintf(name, sizeof(name),
			 ".klp.sym.rela.%s.%s.klp_sym_%" PRIu32 "%s.%" PRIu32,
			 obj, obj, k, suffix, pos);
		sym[SYM_KLP(k)].st_name = str_add(&str, name);
		sym[SYM_KLP(k)].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		sym[SYM_KLP(k)].st_shndx = SHN_UNDEF;
	}
	for (uint32_t u = 0; u < g.U; u++) {
		if (u < N_EXPORTED_NAMES)
			snprintf(name, sizeof(name), "%s", exported_names[u]);
		else
			snprintf(name, sizeof(name), "bench_export_%" PRIu32, u);
		sym[SYM_ORD(u)].st_name = str_add(&str, name);
		sym[SYM_ORD(u)].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		sym[SYM_ORD(u)].st_shndx = SHN_UNDEF;
	}

	/* ---- section headers that do not depend on offsets ---- */
	sh[SEC_DATA].sh_type = SHT_PROGBITS;
	sh[SEC_DATA].sh_flags = SHF_ALLOC | SHF_WRITE;
	sh[SEC_DATA].sh_size = sizeof(data);
	sh[SEC_DATA].sh_addralign = 8;
	sh[SEC_BSS].sh_type = SHT_NOBITS;
	sh[SEC_BSS].sh_flags = SHF_ALLOC | SHF_WRITE;
	sh[SEC_BSS].sh_size = bss_size;
	sh[SEC_BSS].sh_addralign = 32;
	sh[SEC_MODINFO].sh_type = SHT_PROGBITS;
	sh[SEC_MODINFO].sh_flags = SHF_ALLOC;
	sh[SEC_MODINFO].sh_size = sizeof(modinfo);
	sh[SEC_MODINFO].sh_addralign = 1;
	for (uint32_t i = 0; i < g.F; i++) {
		Elf64_Shdr *t = &sh[SEC_TEXT(i)], *r = &sh[SEC_RELA(i)];

		t->sh_type = SHT_PROGBITS;
		t->sh_flags = SHF_ALLOC | SHF_EXECINSTR;
		t->sh_size = text_size;
		t->sh_addralign = TEXT_ALIGN;
		r->sh_type = SHT_RELA;
		r->sh_flags = SHF_INFO_LINK;
		r->sh_size = (uint64_t)g.R * sizeof(Elf64_Rela);
		r->sh_link = (Elf64_Word)SEC_SYMTAB;
		r->sh_info = (Elf64_Word)SEC_TEXT(i);
		r->sh_addralign = 8;
		r->sh_entsize = sizeof(Elf64_Rela);
	}
	sh[SEC_NOTE].sh_type = SHT_PROGBITS;
	sh[SEC_NOTE].sh_addralign = 1;
	if (g.D) {
		sh[SEC_DEBUG].sh_type = SHT_PROGBITS;
		sh[SEC_DEBUG].sh_size = (uint64_t)g.D * 8;
		sh[SEC_DEBUG].sh_addralign = 1;
		sh[SEC_DEBUG_RELA].sh_type = SHT_RELA;
		sh[SEC_DEBUG_RELA].sh_flags = SHF_INFO_LINK;
		sh[SEC_DEBUG_RELA].sh_size = (uint64_t)g.D * sizeof(Elf64_Rela);
		sh[SEC_DEBUG_RELA].sh_link = (Elf64_Word)SEC_SYMTAB;
		sh[SEC_DEBUG_RELA].sh_info = (Elf64_Word)SEC_DEBUG;
		sh[SEC_DEBUG_RELA].sh_addralign = 8;
		sh[SEC_DEBUG_RELA].sh_entsize = sizeof(Elf64_Rela);
	}
	sh[SEC_SYMTAB].sh_type = SHT_SYMTAB;
	sh[SEC_SYMTAB].sh_size = nsym * sizeof(Elf64_Sym);
	sh[SEC_SYMTAB].sh_link = (Elf64_Word)SEC_STRTAB;
	sh[SEC_SYMTAB].sh_info = (Elf64_Word)SYM_FIRST_GLOBAL;
	sh[SEC_SYMTAB].sh_addralign = 8;
	sh[SEC_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
	if (need_xindex) {
		sh[SEC_SHNDX].sh_type = SHT_SYMTAB_SHNDX;
		sh[SEC_SHNDX].sh_size = nsym * sizeof(Elf32_Word);
		sh[SEC_SHNDX].sh_link = (Elf64_Word)SEC_SYMTAB;
		sh[SEC_SHNDX].sh_addralign = 4;
		sh[SEC_SHNDX].sh_entsize = sizeof(Elf32_Word);
	}
	sh[SEC_STRTAB].sh_type = SHT_STRTAB;
	sh[SEC_STRTAB].sh_size = str.len;
	sh[SEC_STRTAB].sh_addralign = 1;
	sh[SEC_SHSTRTAB].sh_type = SHT_STRTAB;
	sh[SEC_SHSTRTAB].sh_size = shstr.len;
	sh[SEC_SHSTRTAB].sh_addralign = 1;

	/* ---- write ---- */
	struct out o = { .path = g.out };
	Elf64_Ehdr eh;

	o.f = fopen(g.out, "wb");
	if (!o.f)
		die("%s: %s", g.out, strerror(errno));
	setvbuf(o.f, NULL, _IOFBF, 1 << 22);

	memset(&eh, 0, sizeof(eh));
	put(&o, &eh, sizeof(eh));	/* rewritten at the end */

	pad_to(&o, sh[SEC_DATA].sh_addralign);
	sh[SEC_DATA].sh_offset = o.off;
	put(&o, data, sizeof(data));
	sh[SEC_BSS].sh_offset = o.off;
	sh[SEC_MODINFO].sh_offset = o.off;
	put(&o, modinfo, sizeof(modinfo));

	/* Per-object state for choosing klp symbols. */
	uint32_t *next_unused = xcalloc(g.O, sizeof(*next_unused));
	uint32_t *nsyms_obj = xcalloc(g.O, sizeof(*nsyms_obj));
	unsigned char *obj_used = xcalloc(g.O, 1);
	Elf64_Rela *rela = xcalloc(g.R, sizeof(*rela));
	uint64_t n_klp_relocs = 0, n_klp_rela_secs = 0, n_other = 0;
	uint64_t n_klp_plt = 0, n_klp_pc = 0;
	uint32_t local_pick = 0;

	for (uint32_t ob = 0; ob < g.O; ob++)
		nsyms_obj[ob] = syms_of_obj(&g, ob);

	for (uint32_t i = 0; i < g.F; i++) {
		const uint32_t p = i % g.O;
		uint32_t t = 0;		/* klp relocation number in this function */

		memset(obj_used, 0, g.O);
		for (uint32_t j = 0; j < g.R; j++) {
			Elf64_Rela *r = &rela[j];
			uint32_t cls = j % 10;

			r->r_offset = (uint64_t)SLOT * j + 4;
			r->r_addend = -4;
			if (cls <= 6) {
				uint32_t ob = (p != 0 && t % 2 == 0) ? p : 0;
				uint32_t nth = next_unused[ob] < nsyms_obj[ob] ?
					next_unused[ob]++ :
					rng_below(nsyms_obj[ob]);
				uint32_t k = ob + g.O * nth;

				r->r_info = ELF64_R_INFO(SYM_KLP(k),
					k % 2 == 0 ? R_X86_64_PLT32 : R_X86_64_PC32);
				if (k % 2 == 0)
					n_klp_plt++;
				else
					n_klp_pc++;
				if (!obj_used[ob]) {
					obj_used[ob] = 1;
					n_klp_rela_secs++;
				}
				n_klp_relocs++;
				t++;
			} else if (cls == 7) {
				r->r_info = ELF64_R_INFO(SYM_ORD(rng_below(g.U)),
							 R_X86_64_PLT32);
				n_other++;
			} else if (cls == 8) {
				switch (local_pick++ % 4) {
				case 0:
					r->r_info = ELF64_R_INFO(SYM_SEC_DATA, R_X86_64_PC32);
					r->r_addend = (int64_t)data_obj_off - 4;
					break;
				case 1:
					r->r_info = ELF64_R_INFO(SYM_SEC_BSS, R_X86_64_PC32);
					r->r_addend = (int64_t)bss_obj_off - 4;
					break;
				case 2:
					r->r_info = ELF64_R_INFO(SYM_DATA_OBJ, R_X86_64_PC32);
					break;
				default:
					r->r_info = ELF64_R_INFO(SYM_BSS_OBJ, R_X86_64_PC32);
					break;
				}
				n_other++;
			} else {
				r->r_info = ELF64_R_INFO(SYM_FN((i + 1) % g.F),
							 R_X86_64_PLT32);
				n_other++;
			}
		}
		pad_to(&o, TEXT_ALIGN);
		sh[SEC_TEXT(i)].sh_offset = o.off;
		put(&o, text, text_size);
		pad_to(&o, 8);
		sh[SEC_RELA(i)].sh_offset = o.off;
		put(&o, rela, (size_t)g.R * sizeof(*rela));
	}

	sh[SEC_NOTE].sh_offset = o.off;
	if (g.D) {
		/* Like DWARF: 64-bit addresses of functions and of klp symbols. */
		static const unsigned char zero8[8];

		sh[SEC_DEBUG].sh_offset = o.off;
		for (uint32_t n = 0; n < g.D; n++)
			put(&o, zero8, sizeof(zero8));
		pad_to(&o, 8);
		sh[SEC_DEBUG_RELA].sh_offset = o.off;
		for (uint32_t n = 0; n < g.D; n++) {
			Elf64_Rela r = { .r_offset = (uint64_t)n * 8, .r_addend = 0 };

			r.r_info = n % 2 ?
				ELF64_R_INFO(SYM_SEC_TEXT(n / 2 % g.F), R_X86_64_64) :
				ELF64_R_INFO(SYM_KLP(n / 2 % g.K), R_X86_64_64);
			put(&o, &r, sizeof(r));
			n_other++;
		}
	}
	pad_to(&o, 8);
	sh[SEC_SYMTAB].sh_offset = o.off;
	put(&o, sym, nsym * sizeof(*sym));
	if (need_xindex) {
		sh[SEC_SHNDX].sh_offset = o.off;
		put(&o, shndx, nsym * sizeof(*shndx));
	}
	sh[SEC_STRTAB].sh_offset = o.off;
	put(&o, str.buf, str.len);
	sh[SEC_SHSTRTAB].sh_offset = o.off;
	put(&o, shstr.buf, shstr.len);

	pad_to(&o, 8);
	const uint64_t shoff = o.off;

	/* Extended numbering lives in section 0. */
	if (nsec >= SHN_LORESERVE)
		sh[0].sh_size = nsec;
	if (SEC_SHSTRTAB >= SHN_LORESERVE)
		sh[0].sh_link = (Elf64_Word)SEC_SHSTRTAB;
	put(&o, sh, nsec * sizeof(*sh));
	const uint64_t file_size = o.off;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = nsec >= SHN_LORESERVE ? 0 : (Elf64_Half)nsec;
	eh.e_shstrndx = SEC_SHSTRTAB >= SHN_LORESERVE ?
			SHN_XINDEX : (Elf64_Half)SEC_SHSTRTAB;
	if (fflush(o.f) || fseek(o.f, 0, SEEK_SET))
		die("%s: %s", g.out, strerror(errno));
	if (fwrite(&eh, sizeof(eh), 1, o.f) != 1 || fclose(o.f))
		die("%s: write failed: %s", g.out, strerror(errno));

	if (!g.quiet) {
		uint64_t relocs = (uint64_t)g.F * g.R + g.D;

		printf("file=%s\n", g.out);
		printf("file_size=%" PRIu64 "\n", file_size);
		printf("functions=%" PRIu32 "\n", g.F);
		printf("objects=%" PRIu32 "\n", g.O);
		printf("sections=%" PRIu64 "\n", nsec);
		printf("symbols=%" PRIu64 "\n", nsym);
		printf("relocs=%" PRIu64 "\n", relocs);
		printf("klp_syms=%" PRIu32 "\n", g.K);
		printf("klp_relocs=%" PRIu64 "\n", n_klp_relocs);
		printf("klp_relocs_plt32=%" PRIu64 "\n", n_klp_plt);
		printf("klp_relocs_pc32=%" PRIu64 "\n", n_klp_pc);
		printf("klp_rela_sections=%" PRIu64 "\n", n_klp_rela_secs);
		printf("other_relocs=%" PRIu64 "\n", n_other);
		printf("sections_after=%" PRIu64 "\n", nsec + n_klp_rela_secs);
		printf("extended_numbering=%d\n", nsec >= SHN_LORESERVE);
		printf("symtab_shndx=%d\n", need_xindex);
	}

	free(text);
	free(sh);
	free(sym);
	free(shndx);
	free(str.buf);
	free(shstr.buf);
	free(next_unused);
	free(nsyms_obj);
	free(obj_used);
	free(rela);
	return 0;
}
