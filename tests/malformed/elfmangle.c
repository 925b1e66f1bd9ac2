// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * elfmangle.c - read and overwrite fields of an ELF64 file by name, to
 * build broken inputs for tests/run-malformed.sh.
 *
 *	elfmangle FILE OP...
 *
 * No libelf: the file is a plain byte array, read in either byte order,
 * and may be as broken as the previous operations left it.  Operations run
 * in order, each seeing the file as the previous one left it:
 *
 *	ehdr.FIELD=V		e_type e_machine e_shoff e_phoff e_phnum
 *				e_shentsize e_shnum e_shstrndx, and
 *				ei_class ei_data (bytes of e_ident)
 *	sec:S.FIELD=V		sh_name sh_type sh_flags sh_addr sh_offset
 *				sh_size sh_link sh_info sh_addralign sh_entsize
 *	sym:Y.FIELD=V		st_name st_info st_other st_shndx st_value
 *				st_size of .symtab entry Y
 *	rela:S:N.FIELD=V	r_offset r_info r_addend r_sym r_type of the
 *				Nth entry of RELA section S
 *	byte:OFF=V		one byte at file offset OFF
 *	move:S=K		copy section S's contents to the end of the
 *				file, at an offset that is K modulo 8, and
 *				point sh_offset there
 *	moveshdr=K		the same for the section header table
 *	rename:Y=@PATH		give symbol Y the name read from PATH (up to
 *				its first NUL): the symbol string table is
 *				copied to the end of the file with the name
 *				appended, and st_name points at it
 *	?ehdr.FIELD ?sec:S.FIELD ?sym:Y.FIELD ?rela:S:N.FIELD ?byte:OFF
 *				print the value in decimal on stdout
 *	?sec:S			print section S's index
 *	?sym:Y			print symbol Y's index
 *
 * S is a section index or name, Y a symbol index or name (names are read
 * through the current .shstrtab and .strtab, so use indices once those are
 * broken).  V is a number as strtoull(3) reads it with base 0, or
 * "-N" for its two's complement.  Exit 0, or 1 with a message.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *img;
static size_t img_size;
static int big_endian;
static const char *prog = "elfmangle";

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

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

static void check_range(uint64_t off, uint64_t len)
{
	if (off > img_size || len > img_size - off)
		die("offset 0x%llx (+%llu) is outside the file (%zu bytes)",
		    (unsigned long long)off, (unsigned long long)len, img_size);
}

static uint64_t get(uint64_t off, unsigned len)
{
	uint64_t v = 0;

	check_range(off, len);
	for (unsigned i = 0; i < len; i++) {
		unsigned k = big_endian ? i : len - 1 - i;

		v = v << 8 | img[off + k];
	}
	return v;
}

static void put(uint64_t off, unsigned len, uint64_t v)
{
	check_range(off, len);
	for (unsigned i = 0; i < len; i++) {
		unsigned k = big_endian ? len - 1 - i : i;

		img[off + k] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

struct field {
	const char *name;
	unsigned off, len;
};

#define F(type, member) { #member, offsetof(type, member), sizeof(((type *)0)->member) }

static const struct field ehdr_fields[] = {
	{ "ei_class", EI_CLASS, 1 },
	{ "ei_data", EI_DATA, 1 },
	F(Elf64_Ehdr, e_type), F(Elf64_Ehdr, e_machine),
	F(Elf64_Ehdr, e_phoff), F(Elf64_Ehdr, e_shoff),
	F(Elf64_Ehdr, e_phnum), F(Elf64_Ehdr, e_shentsize),
	F(Elf64_Ehdr, e_shnum), F(Elf64_Ehdr, e_shstrndx),
	{ NULL, 0, 0 }
};

static const struct field shdr_fields[] = {
	F(Elf64_Shdr, sh_name), F(Elf64_Shdr, sh_type),
	F(Elf64_Shdr, sh_flags), F(Elf64_Shdr, sh_addr),
	F(Elf64_Shdr, sh_offset), F(Elf64_Shdr, sh_size),
	F(Elf64_Shdr, sh_link), F(Elf64_Shdr, sh_info),
	F(Elf64_Shdr, sh_addralign), F(Elf64_Shdr, sh_entsize),
	{ NULL, 0, 0 }
};

static const struct field sym_fields[] = {
	F(Elf64_Sym, st_name), F(Elf64_Sym, st_info), F(Elf64_Sym, st_other),
	F(Elf64_Sym, st_shndx), F(Elf64_Sym, st_value), F(Elf64_Sym, st_size),
	{ NULL, 0, 0 }
};

static const struct field rela_fields[] = {
	F(Elf64_Rela, r_offset), F(Elf64_Rela, r_info),
	F(Elf64_Rela, r_addend),
	{ NULL, 0, 0 }
};

static const struct field *find_field(const struct field *f, const char *name)
{
	for (; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	die("unknown field '%s'", name);
}

static uint64_t ehdr(const char *name)
{
	const struct field *f = find_field(ehdr_fields, name);

	return get(f->off, f->len);
}

static uint64_t shdr_off(uint64_t idx)
{
	uint64_t shoff = ehdr("e_shoff");

	if (idx > (UINT64_MAX - shoff) / sizeof(Elf64_Shdr))
		die("section %llu: header offset overflows",
		    (unsigned long long)idx);
	return shoff + idx * sizeof(Elf64_Shdr);
}

static uint64_t shdr(uint64_t idx, const char *name)
{
	const struct field *f = find_field(shdr_fields, name);

	return get(shdr_off(idx) + f->off, f->len);
}

/* The number of sections, with the extended numbering of section 0. */
static uint64_t shnum(void)
{
	uint64_t n = ehdr("e_shnum");

	return n ? n : shdr(0, "sh_size");
}

static uint64_t shstrndx(void)
{
	uint64_t n = ehdr("e_shstrndx");

	return n == SHN_XINDEX ? shdr(0, "sh_link") : n;
}

/* A NUL-terminated string at OFF of string table section IDX, or NULL. */
static const char *string_at(uint64_t idx, uint64_t off)
{
	uint64_t base = shdr(idx, "sh_offset"), size = shdr(idx, "sh_size");

	if (off >= size)
		return NULL;
	check_range(base, size);
	if (!memchr(img + base + off, '\0', size - off))
		return NULL;
	return (const char *)img + base + off;
}

static int parse_number(const char *s, uint64_t *v)
{
	int neg = *s == '-';
	char *end;

	if (neg)
		s++;
	if (!*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	if (neg)
		*v = -*v;
	return 0;
}

static uint64_t number(const char *s)
{
	uint64_t v;

	if (parse_number(s, &v))
		die("'%s' is not a number", s);
	return v;
}

static uint64_t find_section(const char *sel)
{
	uint64_t v, n = shnum(), names = shstrndx();

	if (parse_number(sel, &v) == 0)
		return v;
	for (uint64_t i = 0; i < n; i++) {
		const char *name = string_at(names, shdr(i, "sh_name"));

		if (name && strcmp(name, sel) == 0)
			return i;
	}
	die("no section named '%s'", sel);
}

static uint64_t find_symtab(void)
{
	for (uint64_t i = 1; i < shnum(); i++)
		if (shdr(i, "sh_type") == SHT_SYMTAB)
			return i;
	die("no symbol table");
}

static uint64_t sym_off_in(uint64_t symtab, uint64_t idx)
{
	return shdr(symtab, "sh_offset") + idx * sizeof(Elf64_Sym);
}

static uint64_t sym_off(uint64_t idx)
{
	return sym_off_in(find_symtab(), idx);
}

static uint64_t find_symbol(const char *sel)
{
	uint64_t v, symtab, strtab, n;

	if (parse_number(sel, &v) == 0)
		return v;
	symtab = find_symtab();
	strtab = shdr(symtab, "sh_link");
	n = shdr(symtab, "sh_size") / sizeof(Elf64_Sym);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t st_name = get(sym_off_in(symtab, i) +
				       offsetof(Elf64_Sym, st_name), 4);
		const char *name = string_at(strtab, st_name);

		if (name && strcmp(name, sel) == 0)
			return i;
	}
	die("no symbol named '%s'", sel);
}

/* Append LEN bytes at FROM to the end of the file, at an offset that is
 * K modulo 8; return the new offset.  */
static uint64_t append_copy(uint64_t from, uint64_t len, uint64_t k)
{
	uint64_t at = (img_size + 7) / 8 * 8 + k % 8;

	check_range(from, len);
	img = realloc(img, at + len);
	if (!img)
		die("out of memory");
	memset(img + img_size, 0, at - img_size);
	memmove(img + at, img + from, len);
	img_size = at + len;
	return at;
}

static void rename_symbol(const char *sel, const char *arg)
{
	uint64_t sym = find_symbol(sel), strtab = shdr(find_symtab(), "sh_link");
	uint64_t old_size = shdr(strtab, "sh_size"), at, len;
	char name[65536];
	FILE *f;

	if (arg[0] != '@' || !(f = fopen(arg + 1, "rb")))
		die("rename: expected @FILE with the new name, not '%s'", arg);
	len = fread(name, 1, sizeof(name) - 1, f);
	fclose(f);
	name[len] = '\0';
	len = strlen(name) + 1;
	at = append_copy(shdr(strtab, "sh_offset"), old_size, 0);
	img = realloc(img, img_size + len);
	if (!img)
		die("out of memory");
	memcpy(img + img_size, name, len);
	img_size += len;
	put(shdr_off(strtab) + offsetof(Elf64_Shdr, sh_offset), 8, at);
	put(shdr_off(strtab) + offsetof(Elf64_Shdr, sh_size), 8, old_size + len);
	put(sym_off(sym) + offsetof(Elf64_Sym, st_name), 4, old_size);
}

/*
 * Resolve "KIND:SEL.FIELD" (or the forms without FIELD) to a file offset
 * and width.  Return 0 with *OFF and *LEN, or 1 when there is no FIELD
 * (then *OFF is the index of the section or symbol).
 */
static int locate(char *what, uint64_t *off, unsigned *len)
{
	char *dot, *sel;
	const struct field *f;

	if (strncmp(what, "ehdr.", 5) == 0) {
		f = find_field(ehdr_fields, what + 5);
		*off = f->off;
		*len = f->len;
		return 0;
	}
	if (strncmp(what, "byte:", 5) == 0) {
		*off = number(what + 5);
		*len = 1;
		return 0;
	}
	if (strncmp(what, "sec:", 4) == 0) {
		sel = what + 4;
		/* Section names start with a dot: the field is after the last. */
		dot = strrchr(sel, '.');
		if (!dot || dot == sel || strncmp(dot + 1, "sh_", 3) != 0) {
			*off = find_section(sel);
			return 1;
		}
		*dot = '\0';
		f = find_field(shdr_fields, dot + 1);
		*off = shdr_off(find_section(sel)) + f->off;
		*len = f->len;
		return 0;
	}
	if (strncmp(what, "sym:", 4) == 0) {
		sel = what + 4;
		dot = strrchr(sel, '.');
		if (!dot || strncmp(dot + 1, "st_", 3) != 0) {
			*off = find_symbol(sel);
			return 1;
		}
		*dot = '\0';
		f = find_field(sym_fields, dot + 1);
		*off = sym_off(find_symbol(sel)) + f->off;
		*len = f->len;
		return 0;
	}
	if (strncmp(what, "rela:", 5) == 0) {
		char *colon;
		uint64_t sec, n;

		sel = what + 5;
		dot = strrchr(sel, '.');
		colon = strrchr(sel, ':');
		if (!dot || !colon || dot < colon)
			die("expected rela:SECTION:N.FIELD, not '%s'", what);
		*dot = '\0';
		*colon = '\0';
		sec = find_section(sel);
		n = number(colon + 1);
		*off = shdr(sec, "sh_offset") + n * sizeof(Elf64_Rela);
		if (strcmp(dot + 1, "r_sym") == 0) {
			/* The high half of r_info. */
			*off += offsetof(Elf64_Rela, r_info) + (big_endian ? 0 : 4);
			*len = 4;
		} else if (strcmp(dot + 1, "r_type") == 0) {
			*off += offsetof(Elf64_Rela, r_info) + (big_endian ? 4 : 0);
			*len = 4;
		} else {
			f = find_field(rela_fields, dot + 1);
			*off += f->off;
			*len = f->len;
		}
		return 0;
	}
	die("cannot parse '%s'", what);
}

static void run_op(char *op)
{
	uint64_t off;
	unsigned len;
	char *eq;

	if (op[0] == '?') {
		if (locate(op + 1, &off, &len))
			printf("%llu\n", (unsigned long long)off);
		else
			printf("%llu\n", (unsigned long long)get(off, len));
		return;
	}
	eq = strrchr(op, '=');
	if (!eq)
		die("expected OP=VALUE, not '%s'", op);
	*eq = '\0';
	if (strcmp(op, "moveshdr") == 0) {
		uint64_t n = shnum();

		off = append_copy(ehdr("e_shoff"), n * sizeof(Elf64_Shdr),
				  number(eq + 1));
		put(offsetof(Elf64_Ehdr, e_shoff), 8, off);
		return;
	}
	if (strncmp(op, "rename:", 7) == 0) {
		rename_symbol(op + 7, eq + 1);
		return;
	}
	if (strncmp(op, "move:", 5) == 0) {
		uint64_t sec = find_section(op + 5), at;

		at = append_copy(shdr(sec, "sh_offset"), shdr(sec, "sh_size"),
				 number(eq + 1));
		put(shdr_off(sec) + offsetof(Elf64_Shdr, sh_offset), 8, at);
		return;
	}
	if (locate(op, &off, &len))
		die("'%s' names no field", op);
	put(off, len, number(eq + 1));
}

int main(int argc, char **argv)
{
	FILE *f;
	long size;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE OP...\n", prog);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die("%s: %s", argv[1], strerror(errno));
	img_size = (size_t)size;
	img = malloc(img_size ? img_size : 1);
	if (!img || fread(img, 1, img_size, f) != img_size)
		die("%s: cannot read", argv[1]);
	fclose(f);
	if (img_size < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) != 0)
		die("%s: not an ELF file", argv[1]);
	big_endian = img[EI_DATA] == ELFDATA2MSB;

	for (int i = 2; i < argc; i++) {
		run_op(argv[i]);
		big_endian = img[EI_DATA] == ELFDATA2MSB;
	}

	f = fopen(argv[1], "wb");
	if (!f || fwrite(img, 1, img_size, f) != img_size || fclose(f) != 0)
		die("%s: cannot write: %s", argv[1], strerror(errno));
	free(img);
	return 0;
}
