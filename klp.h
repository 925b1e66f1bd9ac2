/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * klp.h - the kernel's livepatch ELF vocabulary, and the prefixed names
 * klp_reloc.h makes the compiler emit.
 *
 * Input (undefined symbol, from KLP_RELOC_SYMBOL_POS):
 *	.klp.sym.rela.<lp_obj_name>.<sym_obj_name>.<sym_name>.<sympos>	(v3)
 *	.klp.sym.rela.<lp_obj_name>.<sym_obj_name>.<sym_name>,<sympos>	(v1/v2)
 * Output (Documentation/livepatch/module-elf-format.rst):
 *	symbol	.klp.sym.<sym_obj_name>.<sym_name>,<sympos>  st_shndx SHN_LIVEPATCH
 *	section	.klp.rela.<lp_obj_name>.<section name>  SHF_RELA_LIVEPATCH
 */
#ifndef KLP_KLP_H
#define KLP_KLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH		0xff20
#endif
#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH	0x00100000
#endif

#define KLP_SYM_RELA_PREFIX	".klp.sym.rela."
#define KLP_SYM_PREFIX		".klp.sym."
#define KLP_RELA_PREFIX		".klp.rela."
#define KLP_VMLINUX		"vmlinux"

/* The kernel parses objnames with %55[^.] (MODULE_NAME_LEN - 1) and copies
 * symbol names with a bound of KSYM_NAME_LEN (512 since Linux 6.1).  */
#define KLP_OBJNAME_MAX		55
#define KLP_SYMNAME_MAX		511

struct klp_span {
	const char *s;
	size_t len;
};

/* A parsed prefixed name; spans point into the name that was parsed. */
struct klp_name {
	struct klp_span lp_obj;		/* carries the relocations */
	struct klp_span sym_obj;	/* defines the symbol */
	struct klp_span sym;
	unsigned long sympos;
	size_t new_len;			/* strlen() of the converted name */
};

/*
 * These run for every symbol of every conversion, on a few bytes each:
 * by hand, not by a call to strncmp() or memcmp().
 */
static inline bool klp_starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static inline bool klp_is_prefixed(const char *name)
{
	return klp_starts_with(name, KLP_SYM_RELA_PREFIX);
}

/* For object names: at most KLP_OBJNAME_MAX bytes that count. */
static inline bool klp_span_eq(struct klp_span a, struct klp_span b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (a.s[i] != b.s[i])
			return false;
	return true;
}

static inline bool klp_span_is(struct klp_span sp, const char *s)
{
	return __builtin_strlen(s) == sp.len &&
	       __builtin_memcmp(sp.s, s, sp.len) == 0;
}

enum klp_name_result {
	KLP_NAME_OK = 0,
	KLP_NAME_BAD = -1,		/* not the grammar, or a bad position */
	KLP_NAME_BAD_OBJECT = -2,	/* an object no module can be named */
	KLP_NAME_TOO_LONG = -3,		/* converted name over 511 bytes */
};

/*
 * Parse a prefixed NAME.  On success fill *OUT, write the converted symbol
 * name to NEW_NAME (KLP_SYMNAME_MAX + 1 bytes) and return KLP_NAME_OK.
 * Otherwise write the reason to WHY and return what is wrong.
 */
enum klp_name_result klp_parse_name(const char *name, struct klp_name *out,
				    char *new_name, char *why, size_t whylen);

/* NULL if OBJ (NUL-terminated) can be an object's name as the kernel
 * knows it, else what is wrong with it.  */
const char *klp_objname_problem(const char *obj, size_t len);

/* An object name a few keystrokes from "vmlinux" (vmlinuz, vmlnux,
 * VMLINUX) but not it: almost surely a typo, for no module is so named,
 * and klp relocations for an object that never loads are never applied. */
bool klp_objname_like_vmlinux(const char *obj, size_t len);

/* The livepatch tag among the NUL-separated strings of .modinfo.  The
 * kernel's get_modinfo() takes the tag with any value (even "N").  */
enum klp_livepatch_tag {
	KLP_TAG_NONE,
	KLP_TAG_Y,		/* "livepatch=Y", what MODULE_INFO() writes */
	KLP_TAG_OTHER,		/* "livepatch=" with another value only */
};
enum klp_livepatch_tag klp_modinfo_livepatch(const char *modinfo, size_t size);

/* Does the module image end with a signature's marker (MODULE_SIG_STRING,
 * include/linux/module_signature.h)?  */
bool klp_is_signed(const char *image, size_t size);

/* The names exported by one or more Module.symvers files. */
struct klp_symvers;
struct klp_symvers *klp_symvers_new(void);
/* Return 0, or -1 with errno set, or -1 with *BAD_LINE the number of a
 * line that is not "0xCRC<TAB>symbol<TAB>...".  */
int klp_symvers_load(struct klp_symvers *sv, const char *path, size_t *bad_line);
bool klp_symvers_has(const struct klp_symvers *sv, const char *name);
void klp_symvers_free(struct klp_symvers *sv);

#endif /* KLP_KLP_H */
