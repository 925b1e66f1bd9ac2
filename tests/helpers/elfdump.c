/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * elfdump - print an ELF file's header, sections, symbols and relocations
 * in a stable text form, for klp-convert-mini's tests.
 *
 * binutils readelf prints SHN_LIVEPATCH oddly and pads columns to widths
 * that change with the values; eu-readelf prints file offsets that move
 * whenever libelf lays a file out differently.  The tests want neither:
 * they diff a dump against an expectation written in the test, so this
 * prints every field that matters to the kernel, exactly, one item per
 * line, and nothing that depends on layout (no sh_offset, no st_name).
 *
 * Usage: elfdump [-h] [-S] [-c] [-s] [-r] [-j SECTION]... FILE
 *   -h  ELF header: class, data, type, machine
 *   -S  section headers: [IDX] NAME TYPE flags= link= info= entsize= align= size=
 *       (SHT_GROUP sections also list their flag word and members)
 *   -c  with -S, append the FNV-1a hash of each section's contents
 *       (SHT_NOBITS has none)
 *   -s  symbols: [IDX] NAME value= size= TYPE BIND VIS shndx=
 *   -r  relocations, one per line:
 *       [IDX] RELSEC -> TARGET: 0xOFFSET TYPE [SYMIDX] SYMNAME ADDEND
 *   -j  restrict -S, -c and -r to the named sections (relocation lines are
 *       kept when either the relocation section or its target is named)
 * With no selector, -h -S -s -r.  Exit 1 on any libelf error.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif

static const char *prog = "elfdump";
static const char *fname;

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", prog, fname, what, elf_errmsg(-1));
	exit(1);
}

static const char *const *only;
static int nonly;

static int selected(const char *name)
{
	int i;

	if (!nonly)
		return 1;
	for (i = 0; i < nonly; i++)
		if (name && !strcmp(name, only[i]))
			return 1;
	return 0;
}

static const char *sh_type_name(GElf_Word type, char *buf, size_t len)
{
	switch (type) {
	case SHT_NULL:		return "NULL";
	case SHT_PROGBITS:	return "PROGBITS";
	case SHT_SYMTAB:	return "SYMTAB";
	case SHT_STRTAB:	return "STRTAB";
	case SHT_RELA:		return "RELA";
	case SHT_HASH:		return "HASH";
	case SHT_DYNAMIC:	return "DYNAMIC";
	case SHT_NOTE:		return "NOTE";
	case SHT_NOBITS:	return "NOBITS";
	case SHT_REL:		return "REL";
	case SHT_DYNSYM:	return "DYNSYM";
	case SHT_INIT_ARRAY:	return "INIT_ARRAY";
	case SHT_FINI_ARRAY:	return "FINI_ARRAY";
	case SHT_PREINIT_ARRAY:	return "PREINIT_ARRAY";
	case SHT_GROUP:		return "GROUP";
	case SHT_SYMTAB_SHNDX:	return "SYMTAB_SHNDX";
	}
	snprintf(buf, len, "0x%" PRIx32, (uint32_t)type);
	return buf;
}

static const char *st_type_name(unsigned int t)
{
	static const char *const names[] = {
		"NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS",
	};
	static char buf[16];

	if (t < sizeof(names) / sizeof(names[0]))
		return names[t];
	snprintf(buf, sizeof(buf), "TYPE%u", t);
	return buf;
}

static const char *st_bind_name(unsigned int b)
{
	static char buf[16];

	switch (b) {
	case STB_LOCAL:		return "LOCAL";
	case STB_GLOBAL:	return "GLOBAL";
	case STB_WEAK:		return "WEAK";
	case STB_GNU_UNIQUE:	return "UNIQUE";
	}
	snprintf(buf, sizeof(buf), "BIND%u", b);
	return buf;
}

static const char *st_vis_name(unsigned int v)
{
	static const char *const names[] = {
		"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED",
	};

	return names[v & 3];
}

/*
 * Relocation type names for the machines the tests use.  Unknown types
 * print as a number, which is just as exact.
 */
struct rname { GElf_Half machine; unsigned int type; const char *name; };
static const struct rname rnames[] = {
	{ EM_X86_64, 0, "R_X86_64_NONE" },
	{ EM_X86_64, 1, "R_X86_64_64" },
	{ EM_X86_64, 2, "R_X86_64_PC32" },
	{ EM_X86_64, 3, "R_X86_64_GOT32" },
	{ EM_X86_64, 4, "R_X86_64_PLT32" },
	{ EM_X86_64, 9, "R_X86_64_GOTPCREL" },
	{ EM_X86_64, 10, "R_X86_64_32" },
	{ EM_X86_64, 11, "R_X86_64_32S" },
	{ EM_X86_64, 12, "R_X86_64_16" },
	{ EM_X86_64, 13, "R_X86_64_PC16" },
	{ EM_X86_64, 14, "R_X86_64_8" },
	{ EM_X86_64, 15, "R_X86_64_PC8" },
	{ EM_X86_64, 23, "R_X86_64_TPOFF32" },
	{ EM_X86_64, 24, "R_X86_64_PC64" },
	{ EM_X86_64, 26, "R_X86_64_GOTPC32" },
	{ EM_X86_64, 41, "R_X86_64_GOTPCRELX" },
	{ EM_X86_64, 42, "R_X86_64_REX_GOTPCRELX" },
	{ EM_AARCH64, 257, "R_AARCH64_ABS64" },
	{ EM_AARCH64, 261, "R_AARCH64_PREL32" },
	{ EM_AARCH64, 275, "R_AARCH64_ADR_PREL_PG_HI21" },
	{ EM_AARCH64, 277, "R_AARCH64_ADD_ABS_LO12_NC" },
	{ EM_AARCH64, 282, "R_AARCH64_JUMP26" },
	{ EM_AARCH64, 283, "R_AARCH64_CALL26" },
	{ EM_AARCH64, 286, "R_AARCH64_LDST64_ABS_LO12_NC" },
	{ EM_AARCH64, 278, "R_AARCH64_LDST8_ABS_LO12_NC" },
	{ EM_AARCH64, 285, "R_AARCH64_LDST32_ABS_LO12_NC" },
};

static const char *r_type_name(GElf_Half machine, unsigned int type)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(rnames) / sizeof(rnames[0]); i++)
		if (rnames[i].machine == machine && rnames[i].type == type)
			return rnames[i].name;
	snprintf(buf, sizeof(buf), "type=%u", type);
	return buf;
}

/* FNV-1a, 64 bit: enough to tell "same bytes" from "different bytes". */
static uint64_t fnv1a(const unsigned char *p, size_t n, uint64_t h)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static const char *secname(Elf *elf, size_t shstrndx, size_t idx)
{
	Elf_Scn *scn = elf_getscn(elf, idx);
	GElf_Shdr sh;
	const char *n;

	if (!scn || !gelf_getshdr(scn, &sh))
		return "<bad-section>";
	n = elf_strptr(elf, shstrndx, sh.sh_name);
	return n ? n : "<bad-name>";
}

static void print_flags(GElf_Xword flags)
{
	printf(" flags=0x%" PRIx64, (uint64_t)flags);
}

static void dump_sections(Elf *elf, size_t shstrndx, int hash)
{
	Elf_Scn *scn = NULL;
	char tbuf[32];

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			die("gelf_getshdr");
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			die("elf_strptr");
		if (!selected(name))
			continue;
		printf("[%zu] %s %s", elf_ndxscn(scn), name,
		       sh_type_name(sh.sh_type, tbuf, sizeof(tbuf)));
		print_flags(sh.sh_flags);
		printf(" link=%" PRIu32 " info=%" PRIu32 " entsize=%" PRIu64
		       " align=%" PRIu64 " size=%" PRIu64,
		       (uint32_t)sh.sh_link, (uint32_t)sh.sh_info,
		       (uint64_t)sh.sh_entsize, (uint64_t)sh.sh_addralign,
		       (uint64_t)sh.sh_size);
		if (sh.sh_type == SHT_GROUP) {
			Elf_Data *d = elf_getdata(scn, NULL);
			const Elf32_Word *w;
			size_t i, n;

			if (!d)
				die("elf_getdata");
			w = d->d_buf;
			n = d->d_size / sizeof(*w);
			printf(" group=0x%" PRIx32 " members=", n ? w[0] : 0);
			for (i = 1; i < n; i++)
				printf("%s%" PRIu32, i > 1 ? "," : "", w[i]);
		}
		if (hash && sh.sh_type != SHT_NOBITS) {
			/* Hash the file image, so byte order is part of it. */
			Elf_Data *d = elf_rawdata(scn, NULL);
			uint64_t h = 0xcbf29ce484222325ULL;

			for (; d; d = elf_rawdata(scn, d))
				if (d->d_buf)
					h = fnv1a(d->d_buf, d->d_size, h);
			printf(" hash=%016" PRIx64, h);
		}
		putchar('\n');
	}
}

static Elf_Scn *find_symtab(Elf *elf, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, out))
			die("gelf_getshdr");
		if (out->sh_type == SHT_SYMTAB)
			return scn;
	}
	return NULL;
}

static void print_shndx(Elf *elf, size_t shstrndx, GElf_Word shndx)
{
	switch (shndx) {
	case SHN_UNDEF:
		printf(" shndx=UND");
		return;
	case SHN_ABS:
		printf(" shndx=ABS");
		return;
	case SHN_COMMON:
		printf(" shndx=COMMON");
		return;
	}
	if (shndx >= SHN_LORESERVE && shndx <= SHN_HIRESERVE) {
		/* SHN_LIVEPATCH is 0xff20: print every reserved index raw. */
		printf(" shndx=0x%" PRIx32, (uint32_t)shndx);
		return;
	}
	printf(" shndx=%" PRIu32 "(%s)", (uint32_t)shndx,
	       secname(elf, shstrndx, shndx));
}

static void dump_symbols(Elf *elf, size_t shstrndx)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_symtab(elf, &sh);
	Elf_Data *d, *xd = NULL;
	Elf_Scn *x = NULL;
	size_t i, n;

	if (!scn)
		return;
	d = elf_getdata(scn, NULL);
	if (!d)
		die("elf_getdata(.symtab)");
	while ((x = elf_nextscn(elf, x))) {
		GElf_Shdr xs;

		if (gelf_getshdr(x, &xs) && xs.sh_type == SHT_SYMTAB_SHNDX &&
		    xs.sh_link == elf_ndxscn(scn))
			xd = elf_getdata(x, NULL);
	}
	n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	printf("symtab locals=%" PRIu32 " count=%zu\n", (uint32_t)sh.sh_info, n);
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		Elf32_Word xndx = 0;
		GElf_Word shndx;
		const char *name;

		if (!gelf_getsymshndx(d, xd, i, &sym, &xndx))
			die("gelf_getsymshndx");
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name)
			die("elf_strptr(symbol)");
		shndx = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
		printf("[%zu] %s value=0x%" PRIx64 " size=%" PRIu64 " %s %s %s",
		       i, name, (uint64_t)sym.st_value, (uint64_t)sym.st_size,
		       st_type_name(GELF_ST_TYPE(sym.st_info)),
		       st_bind_name(GELF_ST_BIND(sym.st_info)),
		       st_vis_name(sym.st_other));
		if (sym.st_other & ~3)
			printf(" other=0x%x", sym.st_other);
		print_shndx(elf, shstrndx, shndx);
		putchar('\n');
	}
}

static void dump_relocs(Elf *elf, size_t shstrndx, GElf_Half machine)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Scn *symscn;
		Elf_Data *d, *symd;
		const char *name, *target;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh))
			die("gelf_getshdr");
		if (sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL)
			continue;
		name = secname(elf, shstrndx, elf_ndxscn(scn));
		target = secname(elf, shstrndx, sh.sh_info);
		if (!selected(name) && !selected(target))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			die("elf_getdata(relocations)");
		symscn = elf_getscn(elf, sh.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symsh))
			die("relocation sh_link");
		symd = elf_getdata(symscn, NULL);
		if (!symd)
			die("elf_getdata(symtab)");
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Rel rel;
			GElf_Sym sym;
			size_t symidx;
			const char *sname = "<bad-symbol>";

			if (sh.sh_type == SHT_RELA) {
				if (!gelf_getrela(d, i, &r))
					die("gelf_getrela");
			} else {
				if (!gelf_getrel(d, i, &rel))
					die("gelf_getrel");
				r.r_offset = rel.r_offset;
				r.r_info = rel.r_info;
				r.r_addend = 0;
			}
			symidx = GELF_R_SYM(r.r_info);
			if (gelf_getsym(symd, symidx, &sym)) {
				sname = elf_strptr(elf, symsh.sh_link,
						   sym.st_name);
				if (!sname)
					sname = "<bad-name>";
			}
			printf("[%zu] %s -> [%" PRIu32 "] %s: 0x%" PRIx64 " %s [%zu] %s",
			       elf_ndxscn(scn), name, (uint32_t)sh.sh_info,
			       target, (uint64_t)r.r_offset,
			       r_type_name(machine, GELF_R_TYPE(r.r_info)),
			       symidx, sname);
			if (sh.sh_type == SHT_RELA)
				printf(" %+" PRId64, (int64_t)r.r_addend);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	int opt_h = 0, opt_S = 0, opt_c = 0, opt_s = 0, opt_r = 0;
	const char **names = calloc(argc, sizeof(*names));
	size_t shstrndx;
	GElf_Ehdr eh;
	Elf *elf;
	int c, fd;

	if (!names)
		return 1;
	while ((c = getopt(argc, argv, "hScsrj:")) != -1) {
		switch (c) {
		case 'h': opt_h = 1; break;
		case 'S': opt_S = 1; break;
		case 'c': opt_c = 1; break;
		case 's': opt_s = 1; break;
		case 'r': opt_r = 1; break;
		case 'j': names[nonly++] = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-hScsr] [-j SECTION]... FILE\n",
				prog);
			return 2;
		}
	}
	only = names;
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-hScsr] [-j SECTION]... FILE\n", prog);
		return 2;
	}
	if (!opt_h && !opt_S && !opt_s && !opt_r)
		opt_h = opt_S = opt_s = opt_r = 1;
	fname = argv[optind];
	elf_version(EV_CURRENT);
	fd = open(fname, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, fname, strerror(errno));
		return 1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		die("not an ELF file");
	if (!gelf_getehdr(elf, &eh))
		die("gelf_getehdr");
	if (elf_getshdrstrndx(elf, &shstrndx))
		die("elf_getshdrstrndx");
	if (opt_h)
		printf("class=%s data=%s type=%u machine=%u\n",
		       eh.e_ident[EI_CLASS] == ELFCLASS64 ? "ELF64" : "ELF32",
		       eh.e_ident[EI_DATA] == ELFDATA2MSB ? "MSB" : "LSB",
		       eh.e_type, eh.e_machine);
	if (opt_S)
		dump_sections(elf, shstrndx, opt_c);
	if (opt_s)
		dump_symbols(elf, shstrndx);
	if (opt_r)
		dump_relocs(elf, shstrndx, eh.e_machine);
	if (fflush(stdout) || ferror(stdout))
		return 1;
	elf_end(elf);
	close(fd);
	free(names);
	return 0;
}
