/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * elfpoke - make the broken or unusual ELF files that klp-convert-mini's
 * negative tests need, from a good object built at test time.
 *
 * A compiler will not emit an SHT_REL section on x86_64, a relocation
 * whose symbol index is past the end of .symtab, or a section that links
 * to nowhere; the tests build a good object and then poke it.  Each
 * operation names what it changes; they run in order on one file:
 *
 *   rela2rel SEC                 turn SHT_RELA section SEC into SHT_REL
 *                                (entries lose their addends; entsize
 *                                becomes one Rel)
 *   shdr SEC FIELD VALUE         FIELD: name type flags link info entsize
 *                                addralign size
 *   sym IDX FIELD VALUE          FIELD: name value size bind type other shndx
 *   rela SEC N FIELD VALUE       FIELD: offset type sym addend
 *   ehdr FIELD VALUE             FIELD: type machine
 *   rawshdr SEC FIELD VALUE      FIELD: size entsize link info addralign,
 *                                written straight into the file's section
 *                                header after libelf is done (libelf
 *                                recomputes sh_entsize and refuses sizes
 *                                that do not fit the data)
 *   raw OFFSET HEXBYTES          overwrite bytes of the file as written
 *
 * SEC is a section index or name.  A "name" VALUE is a string, appended to
 * the string table.  Numbers take C syntax (0x.., negative addends).  When
 * nothing changes a size, the file keeps its layout (ELF_F_LAYOUT), so a
 * poke changes only the bytes it names.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fname;
static Elf *elf;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "elfpoke: %s: %s: %s\n", fname, what,
		detail ? detail : elf_errmsg(-1));
	exit(1);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = s[0] == '-' ? (unsigned long long)strtoll(s, &end, 0) :
			  strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("not a number", s);
	return v;
}

static Elf_Scn *find_scn(const char *spec)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	char *end;
	unsigned long idx = strtoul(spec, &end, 10);

	if (*spec && !*end) {
		scn = elf_getscn(elf, idx);
		if (!scn)
			die("no such section", spec);
		return scn;
	}
	if (elf_getshdrstrndx(elf, &shstrndx))
		die("elf_getshdrstrndx", NULL);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			die("gelf_getshdr", NULL);
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, spec))
			return scn;
	}
	die("no such section", spec);
	return NULL;
}

/* Append STR to string table STRSCN; return its offset there. */
static GElf_Word add_string(Elf_Scn *strscn, const char *str)
{
	GElf_Shdr sh;
	Elf_Data *d;
	GElf_Word off;

	if (!gelf_getshdr(strscn, &sh))
		die("gelf_getshdr(strtab)", NULL);
	off = sh.sh_size;
	d = elf_newdata(strscn);
	if (!d)
		die("elf_newdata", NULL);
	d->d_buf = strdup(str);
	d->d_size = strlen(str) + 1;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh.sh_size += d->d_size;
	if (!gelf_update_shdr(strscn, &sh))
		die("gelf_update_shdr(strtab)", NULL);
	return off;
}

static Elf_Scn *symtab(GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == SHT_SYMTAB)
			return scn;
	die("no .symtab", "");
	return NULL;
}

static void rela2rel(Elf_Scn *scn)
{
	GElf_Shdr sh;
	Elf_Data *d;
	GElf_Rela *r;
	size_t i, n, relsize = gelf_fsize(elf, ELF_T_REL, 1, EV_CURRENT);

	if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA)
		die("rela2rel", "not an SHT_RELA section");
	d = elf_getdata(scn, NULL);
	if (!d)
		die("elf_getdata", NULL);
	n = sh.sh_size / sh.sh_entsize;
	r = calloc(n + 1, sizeof(*r));
	if (!r)
		die("calloc", strerror(errno));
	for (i = 0; i < n; i++)
		if (!gelf_getrela(d, i, &r[i]))
			die("gelf_getrela", NULL);
	sh.sh_type = SHT_REL;
	sh.sh_entsize = relsize;
	sh.sh_size = n * relsize;
	if (!gelf_update_shdr(scn, &sh))
		die("gelf_update_shdr", NULL);
	/* The in-memory Rel is the file's size for both classes. */
	d->d_buf = calloc(n + 1, relsize);
	d->d_size = n * relsize;
	d->d_type = ELF_T_REL;
	for (i = 0; i < n; i++) {
		GElf_Rel rel = { .r_offset = r[i].r_offset, .r_info = r[i].r_info };

		if (!gelf_update_rel(d, i, &rel))
			die("gelf_update_rel", NULL);
	}
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	free(r);
}

static void poke_shdr(Elf_Scn *scn, const char *field, const char *value)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh))
		die("gelf_getshdr", NULL);
	if (!strcmp(field, "name")) {
		size_t shstrndx;

		if (elf_getshdrstrndx(elf, &shstrndx))
			die("elf_getshdrstrndx", NULL);
		sh.sh_name = add_string(elf_getscn(elf, shstrndx), value);
	} else if (!strcmp(field, "type"))
		sh.sh_type = num(value);
	else if (!strcmp(field, "flags"))
		sh.sh_flags = num(value);
	else if (!strcmp(field, "link"))
		sh.sh_link = num(value);
	else if (!strcmp(field, "info"))
		sh.sh_info = num(value);
	else if (!strcmp(field, "entsize"))
		sh.sh_entsize = num(value);
	else if (!strcmp(field, "addralign"))
		sh.sh_addralign = num(value);
	else if (!strcmp(field, "size"))
		sh.sh_size = num(value);
	else
		die("unknown section header field", field);
	if (!gelf_update_shdr(scn, &sh))
		die("gelf_update_shdr", NULL);
}

static void poke_sym(size_t idx, const char *field, const char *value)
{
	GElf_Shdr sh;
	Elf_Scn *scn = symtab(&sh);
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Sym s;

	if (!d || !gelf_getsym(d, idx, &s))
		die("gelf_getsym", NULL);
	if (!strcmp(field, "name"))
		s.st_name = add_string(elf_getscn(elf, sh.sh_link), value);
	else if (!strcmp(field, "value"))
		s.st_value = num(value);
	else if (!strcmp(field, "size"))
		s.st_size = num(value);
	else if (!strcmp(field, "bind"))
		s.st_info = GELF_ST_INFO(num(value), GELF_ST_TYPE(s.st_info));
	else if (!strcmp(field, "type"))
		s.st_info = GELF_ST_INFO(GELF_ST_BIND(s.st_info), num(value));
	else if (!strcmp(field, "other"))
		s.st_other = num(value);
	else if (!strcmp(field, "shndx"))
		s.st_shndx = num(value);
	else
		die("unknown symbol field", field);
	if (!gelf_update_sym(d, idx, &s))
		die("gelf_update_sym", NULL);
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
}

static void poke_rela(Elf_Scn *scn, size_t idx, const char *field,
		      const char *value)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Rela r;

	if (!d || !gelf_getrela(d, idx, &r))
		die("gelf_getrela", NULL);
	if (!strcmp(field, "offset"))
		r.r_offset = num(value);
	else if (!strcmp(field, "type"))
		r.r_info = GELF_R_INFO(GELF_R_SYM(r.r_info), num(value));
	else if (!strcmp(field, "sym"))
		r.r_info = GELF_R_INFO(num(value), GELF_R_TYPE(r.r_info));
	else if (!strcmp(field, "addend"))
		r.r_addend = (GElf_Sxword)num(value);
	else
		die("unknown relocation field", field);
	if (!gelf_update_rela(d, idx, &r))
		die("gelf_update_rela", NULL);
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
}

static void poke_ehdr(const char *field, const char *value)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		die("gelf_getehdr", NULL);
	if (!strcmp(field, "type"))
		eh.e_type = num(value);
	else if (!strcmp(field, "machine"))
		eh.e_machine = num(value);
	else
		die("unknown ELF header field", field);
	if (!gelf_update_ehdr(elf, &eh))
		die("gelf_update_ehdr", NULL);
}

static void poke_raw(int fd, const char *off, const char *hex)
{
	size_t len = strlen(hex), i;
	unsigned char *buf = malloc(len / 2 + 1);

	if (!buf || len % 2)
		die("raw", "HEXBYTES needs an even number of digits");
	for (i = 0; i < len / 2; i++) {
		char two[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end;

		buf[i] = strtoul(two, &end, 16);
		if (*end)
			die("raw: not hex", hex);
	}
	if (pwrite(fd, buf, len / 2, (off_t)num(off)) != (ssize_t)(len / 2))
		die("pwrite", strerror(errno));
	free(buf);
}

/* Write FIELD of section IDX's header into the file, in its byte order. */
static void poke_rawshdr(int fd, size_t idx, const char *field,
			 const char *value)
{
	static const struct { const char *name; int off64, len64, off32; } f[] = {
		{ "size", 0x20, 8, 0x14 },
		{ "link", 0x28, 4, 0x18 },
		{ "info", 0x2c, 4, 0x1c },
		{ "addralign", 0x30, 8, 0x20 },
		{ "entsize", 0x38, 8, 0x24 },
	};
	unsigned char buf[8];
	unsigned long long v = num(value);
	GElf_Ehdr eh;
	Elf *e;
	off_t off;
	int i, k, n, msb;

	for (k = 0; k < 5; k++)
		if (!strcmp(field, f[k].name))
			break;
	if (k == 5)
		die("unknown raw section header field", field);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, &eh))
		die("rawshdr: elf_begin", NULL);
	msb = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	if (eh.e_ident[EI_CLASS] == ELFCLASS64) {
		n = f[k].len64;
		off = eh.e_shoff + idx * eh.e_shentsize + f[k].off64;
	} else {
		n = 4;
		off = eh.e_shoff + idx * eh.e_shentsize + f[k].off32;
	}
	elf_end(e);
	for (i = 0; i < n; i++)
		buf[msb ? n - 1 - i : i] = v >> (8 * i);
	if (pwrite(fd, buf, n, off) != n)
		die("pwrite", strerror(errno));
}

static void usage(void)
{
	fprintf(stderr, "usage: elfpoke FILE OP ARGS... [OP ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int fd, i, resize = 0, nraw = 0;
	size_t *raw_idx = calloc(argc, sizeof(*raw_idx));
	const char **raw_field = calloc(argc, sizeof(*raw_field));
	const char **raw_val = calloc(argc, sizeof(*raw_val));

	if (argc < 3)
		usage();
	fname = argv[1];
	/* Growing or shrinking a section needs a new layout. */
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "rela2rel") || !strcmp(argv[i], "name"))
			resize = 1;
	elf_version(EV_CURRENT);
	fd = open(fname, O_RDWR);
	if (fd < 0)
		die("open", strerror(errno));
	elf = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		die("elf_begin", NULL);
	if (!resize)
		elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
	for (i = 2; i < argc;) {
		const char *op = argv[i];
		int left = argc - i - 1;

		if (!strcmp(op, "rela2rel") && left >= 1) {
			rela2rel(find_scn(argv[i + 1]));
			i += 2;
		} else if (!strcmp(op, "shdr") && left >= 3) {
			poke_shdr(find_scn(argv[i + 1]), argv[i + 2], argv[i + 3]);
			i += 4;
		} else if (!strcmp(op, "sym") && left >= 3) {
			poke_sym(num(argv[i + 1]), argv[i + 2], argv[i + 3]);
			i += 4;
		} else if (!strcmp(op, "rela") && left >= 4) {
			poke_rela(find_scn(argv[i + 1]), num(argv[i + 2]),
				  argv[i + 3], argv[i + 4]);
			i += 5;
		} else if (!strcmp(op, "ehdr") && left >= 2) {
			poke_ehdr(argv[i + 1], argv[i + 2]);
			i += 3;
		} else if (!strcmp(op, "rawshdr") && left >= 3) {
			/* after elf_update, below, by index */
			raw_idx[nraw] = elf_ndxscn(find_scn(argv[i + 1]));
			raw_field[nraw] = argv[i + 2];
			raw_val[nraw++] = argv[i + 3];
			i += 4;
		} else if (!strcmp(op, "raw") && left >= 2) {
			i += 3;	/* after elf_update, below */
		} else {
			usage();
		}
	}
	if (elf_update(elf, ELF_C_WRITE) < 0)
		die("elf_update", NULL);
	elf_end(elf);
	for (i = 0; i < nraw; i++)
		poke_rawshdr(fd, raw_idx[i], raw_field[i], raw_val[i]);
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "raw") && i + 2 < argc) {
			poke_raw(fd, argv[i + 1], argv[i + 2]);
			i += 2;
		}
	if (close(fd))
		die("close", strerror(errno));
	free(raw_idx);
	free(raw_field);
	free(raw_val);
	return 0;
}
