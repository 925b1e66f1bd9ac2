/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * klpcheck - check a converted livepatch module the way the kernel will.
 *
 * The kernel parses klp names with sscanf() and trusts the rest; a name it
 * cannot parse fails the load, and a section whose object it misreads is
 * silently never applied.  This program applies the kernel's own formats
 * and tests to every klp name and relocation of FILE, so a test does not
 * need a booted kernel to know that the module would be accepted:
 *
 *   kernel/livepatch/core.c, klp_resolve_symbols():
 *     every relocation of a klp rela section names an SHN_LIVEPATCH symbol
 *     sscanf(name, ".klp.sym.%55[^.].%511[^,],%lu", ...) == 3
 *     a module-specific section may not reference a vmlinux symbol
 *   kernel/livepatch/core.c, klp_write_section_relocs():
 *     sscanf(secname, ".klp.rela.%55[^.]", objname) == 1
 *   kernel/module/kallsyms.c: KSYM_NAME_LEN is 512
 *   kernel/module/main.c: klp rela sections are SHT_RELA, SHF_ALLOC and
 *     SHF_RELA_LIVEPATCH; other relocation sections of allocated targets
 *     are applied with st_value, which is 0 for an SHN_LIVEPATCH symbol.
 *   arch/riscv/kernel/module.c: a PCREL_LO12_I/S relocation names the
 *     label of its AUIPC, and the kernel looks for that AUIPC's
 *     PCREL_HI20/GOT_HI20 in the same relocation section only.
 *
 * and the converter's own promises: the rest of a klp rela section's name
 * is '.' followed by its target's full name, sh_link is .symtab, entsize
 * is one Rela, a module-specific section never targets a special or init
 * section, no .klp.sym.rela.* symbol is left, .modinfo says livepatch=Y.
 *
 * Prints one line per problem and exits 1, or one summary line and exits 0:
 *   klpcheck: FILE: ok: N klp rela sections, N relocations, N klp symbols
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHN_LIVEPATCH		0xff20
#define SHF_RELA_LIVEPATCH	0x00100000
#define KSYM_NAME_LEN		512
#define MODULE_NAME_LEN		56	/* 64 - sizeof(unsigned long) */

static const char *fname;
static int problems;

static void __attribute__((format(printf, 1, 2))) problem(const char *fmt, ...)
{
	va_list ap;

	printf("klpcheck: %s: ", fname);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	problems++;
}

static void die(const char *what)
{
	fprintf(stderr, "klpcheck: %s: %s: %s\n", fname, what, elf_errmsg(-1));
	exit(2);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Sections that the livepatch module's own load processes: the list of
 * kernel-rules.md 9, and "the like" that the load also reads (alternative
 * replacement code, ORC data, export tables, tracepoint pointers).
 */
static const char *const special[] = {
	"__jump_table", ".static_call_sites", ".altinstructions",
	".altinstr_replacement", ".parainstructions", ".smp_locks",
	"__bug_table", "__ex_table", ".orc_unwind_ip", ".orc_unwind",
	"__mcount_loc", "__patchable_function_entries", ".retpoline_sites",
	".return_sites", ".call_sites", ".ibt_endbr_seal",
	"__tracepoints_ptrs", "__kcrctab", "__ksymtab",
};

static int is_special(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(name, special[i]))
			return 1;
	return 0;
}

/* The kernel's parse of a klp symbol name; returns 1 when it succeeds. */
static int parse_klp_sym(const char *name, char *obj, char *sym)
{
	unsigned long pos;
	int n = -1;

	/* The kernel's %lu takes no sign: digits after white space. */
	if (sscanf(name, ".klp.sym.%55[^.].%511[^,],%n", obj, sym, &n) != 2 ||
	    n < 0)
		return 0;
	name += n;
	name += strspn(name, " \t\n\v\f\r\xa0");
	return sscanf(name, "%lu", &pos) == 1 && isdigit((unsigned char)*name);
}

static Elf_Data *symdata;

/*
 * Every R_RISCV_PCREL_LO12_I/S of relocation section NAME (data D, N
 * entries) must find its HI20 in the same section, at the offset of the
 * label it names, as apply_relocate_add() looks for it.
 */
static void check_riscv_pairs(const char *name, Elf_Data *d, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		GElf_Rela r, h;
		GElf_Sym s;
		unsigned int type;

		if (!gelf_getrela(d, i, &r))
			die("gelf_getrela");
		type = GELF_R_TYPE(r.r_info);
		if (type != 24 && type != 25)	/* PCREL_LO12_I, PCREL_LO12_S */
			continue;
		if (!gelf_getsym(symdata, GELF_R_SYM(r.r_info), &s))
			die("gelf_getsym");
		for (k = 0; k < n; k++) {
			if (!gelf_getrela(d, k, &h))
				die("gelf_getrela");
			type = GELF_R_TYPE(h.r_info);
			/* PCREL_HI20, GOT_HI20, TLS_GOT_HI20, TLS_GD_HI20 */
			if (h.r_offset == s.st_value && type >= 20 && type <= 23)
				break;
		}
		if (k == n) {
			char off[32];

			snprintf(off, sizeof(off), "0x%llx", (unsigned long long)r.r_offset);
			problem("'%s': PCREL_LO12 at %s: can not find HI20 relocation information",
				name, off);
		}
	}
}

int main(int argc, char **argv)
{
	static char obj[MODULE_NAME_LEN], sym[KSYM_NAME_LEN], secobj[MODULE_NAME_LEN];
	size_t shstrndx, nsec, i, j, nsyms = 0, symtab_ndx = 0;
	Elf_Data *symd = NULL;
	GElf_Shdr symsh = { 0 };
	int fd, klp_secs = 0, klp_relas = 0, klp_syms = 0, livepatch = 0;
	GElf_Half machine;
	Elf *elf;

	if (argc != 2) {
		fprintf(stderr, "usage: klpcheck FILE\n");
		return 2;
	}
	fname = argv[1];
	elf_version(EV_CURRENT);
	fd = open(fname, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "klpcheck: %s: %s\n", fname, strerror(errno));
		return 2;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		die("not an ELF file");
	if (elf_getshdrstrndx(elf, &shstrndx) || elf_getshdrnum(elf, &nsec))
		die("section headers");
	{
		GElf_Ehdr eh;

		if (!gelf_getehdr(elf, &eh))
			die("gelf_getehdr");
		machine = eh.e_machine;
	}

	/* Find .symtab and .modinfo. */
	int modinfo_seen = 0;

	for (i = 1; i < nsec; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh;
		const char *name;

		if (!scn || !gelf_getshdr(scn, &sh))
			die("gelf_getshdr");
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			die("elf_strptr");
		if (sh.sh_type == SHT_SYMTAB) {
			symtab_ndx = i;
			symsh = sh;
			symd = elf_getdata(scn, NULL);
			if (!symd)
				die("elf_getdata(.symtab)");
			nsyms = sh.sh_size / sh.sh_entsize;
			symdata = symd;
		}
		/* The loader reads the first allocated .modinfo only
		 * (find_sec() in kernel/module/main.c).  */
		if (!strcmp(name, ".modinfo") && (sh.sh_flags & SHF_ALLOC) &&
		    !modinfo_seen++ && sh.sh_type == SHT_PROGBITS) {
			Elf_Data *d = elf_getdata(scn, NULL);
			const char *p, *end;

			if (!d)
				die("elf_getdata(.modinfo)");
			p = d->d_buf;
			end = p + d->d_size;
			/* NUL-separated key=value strings, maybe padded. */
			while (p < end) {
				size_t len = strnlen(p, end - p);

				/* get_modinfo(): the tag, any value */
				if (len >= strlen("livepatch=") &&
				    !memcmp(p, "livepatch=", strlen("livepatch=")))
					livepatch = 1;
				p += len + 1;
			}
		}
	}
	if (!symd) {
		problem("no .symtab");
		return 1;
	}

	/* Symbols. */
	for (i = 0; i < nsyms; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(symd, i, &s))
			die("gelf_getsym");
		name = elf_strptr(elf, symsh.sh_link, s.st_name);
		if (!name)
			die("elf_strptr(symbol)");
		if ((i < symsh.sh_info) != (GELF_ST_BIND(s.st_info) == STB_LOCAL))
			problem("symbol '%s' is on the wrong side of .symtab sh_info",
				name);
		if (starts_with(name, ".klp.sym.rela.") ||
		    (s.st_shndx == SHN_UNDEF && starts_with(name, ".klp.")))
			problem("symbol '%s' was not converted", name);
		else if (starts_with(name, ".klp.sym.")) {
			klp_syms++;
			if (s.st_shndx != SHN_LIVEPATCH)
				problem("symbol '%s' is not marked as a livepatch symbol",
					name);
			if (!parse_klp_sym(name, obj, sym))
				problem("symbol '%s' has an incorrectly formatted name",
					name);
			if (strlen(name) >= KSYM_NAME_LEN)
				problem("symbol '%s' is longer than KSYM_NAME_LEN - 1",
					name);
		} else if (s.st_shndx == SHN_LIVEPATCH) {
			problem("SHN_LIVEPATCH symbol '%s' is not named .klp.sym.*",
				name);
		}
	}

	/* Relocation sections. */
	for (i = 1; i < nsec; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh, tsh;
		Elf_Scn *tscn;
		const char *name, *tname;
		Elf_Data *d;
		int is_klp, vmlinux_sec = 0;
		size_t n;

		if (!gelf_getshdr(scn, &sh))
			die("gelf_getshdr");
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		is_klp = starts_with(name, ".klp.rela.");
		if (!is_klp && (sh.sh_flags & SHF_RELA_LIVEPATCH))
			problem("section '%s' has SHF_RELA_LIVEPATCH but is not .klp.rela.*",
				name);
		if (sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) {
			if (is_klp)
				problem("section '%s' is not SHT_RELA", name);
			continue;
		}
		tscn = elf_getscn(elf, sh.sh_info);
		if (!tscn || !gelf_getshdr(tscn, &tsh))
			die("relocation sh_info");
		tname = elf_strptr(elf, shstrndx, tsh.sh_name);
		if (!tname)
			die("elf_strptr(target)");
		if (is_klp) {
			const char *rest;

			klp_secs++;
			if (sscanf(name, ".klp.rela.%55[^.]", secobj) != 1) {
				problem("section '%s' has an incorrectly formatted name",
					name);
				continue;
			}
			vmlinux_sec = !strcmp(secobj, "vmlinux");
			rest = name + strlen(".klp.rela.") + strlen(secobj);
			if (rest[0] != '.')
				problem("section '%s': the kernel reads object '%s'",
					name, secobj);
			else if (strcmp(rest + 1, tname))
				problem("section '%s' does not name its target '%s'",
					name, tname);
			if (sh.sh_type != SHT_RELA)
				problem("section '%s' is not SHT_RELA", name);
			if ((sh.sh_flags & (SHF_ALLOC | SHF_RELA_LIVEPATCH)) !=
			    (SHF_ALLOC | SHF_RELA_LIVEPATCH))
				problem("section '%s' lacks SHF_ALLOC|SHF_RELA_LIVEPATCH",
					name);
			if (sh.sh_link != symtab_ndx)
				problem("section '%s': sh_link is not .symtab", name);
			if (sh.sh_entsize != gelf_fsize(elf, ELF_T_RELA, 1, EV_CURRENT))
				problem("section '%s': sh_entsize is not one Rela",
					name);
			if (!(tsh.sh_flags & SHF_ALLOC))
				problem("section '%s': target '%s' is not allocated",
					name, tname);
			/* powerpc's module_init_section() is always false:
			 * ppc64 never frees .init* of a module.  */
			if (!vmlinux_sec && (is_special(tname) ||
					     (starts_with(tname, ".init") &&
					      machine != EM_PPC64)))
				problem("section '%s': module-specific relocations in '%s'",
					name, tname);
			if (!livepatch)
				problem("section '%s' but .modinfo lacks livepatch=Y",
					name);
		}
		d = elf_getdata(scn, NULL);
		if (!d)
			die("elf_getdata(relocations)");
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		if (machine == EM_RISCV && sh.sh_type == SHT_RELA &&
		    (tsh.sh_flags & SHF_ALLOC))
			check_riscv_pairs(name, d, n);
		for (j = 0; j < n; j++) {
			GElf_Rela r;
			GElf_Rel rel;
			GElf_Sym s;
			const char *sname;

			if (sh.sh_type == SHT_RELA ? !gelf_getrela(d, j, &r) :
			    !gelf_getrel(d, j, &rel))
				die("gelf_getrela");
			if (sh.sh_type == SHT_REL)
				r.r_info = rel.r_info;
			if (!gelf_getsym(symd, GELF_R_SYM(r.r_info), &s))
				die("relocation symbol index");
			sname = elf_strptr(elf, symsh.sh_link, s.st_name);
			if (!sname)
				die("elf_strptr(symbol)");
			if (!is_klp) {
				if (s.st_shndx == SHN_LIVEPATCH &&
				    (tsh.sh_flags & SHF_ALLOC))
					problem("'%s' applies livepatch symbol '%s' at load time",
						name, sname);
				continue;
			}
			klp_relas++;
			if (s.st_shndx != SHN_LIVEPATCH) {
				problem("symbol %s is not marked as a livepatch symbol (in '%s')",
					sname, name);
				continue;
			}
			if (!parse_klp_sym(sname, obj, sym)) {
				problem("symbol %s has an incorrectly formatted name (in '%s')",
					sname, name);
				continue;
			}
			if (!vmlinux_sec && !strcmp(obj, "vmlinux"))
				problem("invalid access to vmlinux symbol '%s' from module-specific livepatch relocation section '%s'",
					sym, name);
		}
	}
	if (klp_syms && !livepatch)
		problem("klp symbols but .modinfo lacks livepatch=Y");

	elf_end(elf);
	close(fd);
	if (problems)
		return 1;
	printf("klpcheck: %s: ok: %d klp rela sections, %d relocations, %d klp symbols\n",
	       fname, klp_secs, klp_relas, klp_syms);
	return 0;
}
