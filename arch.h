/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arch.h - per-architecture facts about what the kernel's module loader can
 * apply in a klp relocation section (see arch.c for where they came from).
 */
#ifndef KLP_ARCH_H
#define KLP_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct klp_reloc_type {
	uint32_t type;		/* r_type value */
	const char *name;	/* "R_X86_64_PC32" */
	bool supported;		/* apply_relocate_add of Linux 6.1 accepts it */
	uint8_t width;		/* bytes written at r_offset (0 = none/unknown);
				 * used for the nonzero-location check */
	const char *refused;	/* an unsupported type the loader refuses
				 * otherwise than its arch's reloc_refused
				 * says; NULL: as that says */
};

struct klp_arch {
	uint16_t e_machine;			/* EM_X86_64 ... */
	const char *name;			/* "x86_64", "aarch64", "ppc64le", "s390x", "riscv64" */
	const struct klp_reloc_type *types;	/* sorted by type */
	size_t nr_types;
	bool zero_check;			/* kernel refuses a nonzero value at the
						 * location before applying */
	const char *const *special_sections;	/* NULL-terminated; a trailing '*'
						 * means prefix match */
	const char *reloc_refused;		/* what apply_relocate_add() prints
						 * for a type it has no case for;
						 * %s: the type, in decimal */
};

/*
 * NULL if the machine has no table.  Note: Linux 6.1 selects HAVE_LIVEPATCH
 * only on x86_64, powerpc (ppc64le with mprofile-kernel, and ppc32, whose
 * ELF32 modules the tool does not read) and s390; the
 * aarch64 and riscv64 tables describe their 6.1 module loaders for kernels
 * that enable livepatch there.
 */
const struct klp_arch *klp_arch_find(uint16_t e_machine);

/* The table entry for @type, or NULL if the table does not list it. */
const struct klp_reloc_type *klp_arch_reloc(const struct klp_arch *arch, uint32_t type);

/*
 * klp_arch_reloc() through @cache, the entries of the types below 64
 * looked up so far: a module uses a handful of types, and each is looked
 * up once instead of once per relocation.
 */
static inline const struct klp_reloc_type *
klp_arch_reloc_cached(const struct klp_arch *arch,
		      const struct klp_reloc_type *cache[64], uint32_t type)
{
	const struct klp_reloc_type *rt = type < 64 ? cache[type] : NULL;

	if (!rt) {
		rt = klp_arch_reloc(arch, type);
		if (type < 64)
			cache[type] = rt;
	}
	return rt;
}

/*
 * What the kernel prints, or does, when @arch's apply_relocate_add() meets
 * @type, which it does not support: a kernel text whose %s, if any, is the
 * type in decimal.
 */
const char *klp_arch_reloc_refusal(const struct klp_arch *arch, uint32_t type);

/* The type's name, or "type N" formatted into @buf. Never NULL. */
const char *klp_reloc_type_name(const struct klp_arch *arch, uint32_t type,
				char *buf, size_t len);

/*
 * True if @secname (the section a relocation applies to) is processed while
 * the livepatch module itself loads: generic list plus @arch's (@arch may be
 * NULL for the generic list only).
 */
bool klp_is_special_section(const struct klp_arch *arch, const char *secname);

/* Build klp_is_special_section()'s lookup for @arch now (it is built on
 * first use otherwise): after this, threads may call it at once.  */
void klp_special_sections_prepare(const struct klp_arch *arch);

#endif /* KLP_ARCH_H */
