/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * klp_reloc.h - name the non-exported symbols a livepatch needs.
 *
 * Part of klp-convert-mini.  A livepatch module often needs symbols that
 * the kernel does not export: static functions, unexported globals, or
 * symbols of a module that may not be loaded yet.  Declare each one as an
 * extern and append KLP_RELOC_SYMBOL():
 *
 *	#include "klp_reloc.h"
 *
 *	extern char *saved_command_line
 *		KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
 *	extern int target_counter
 *		KLP_RELOC_SYMBOL(klp_target, counter, 2);
 *
 * The macro gives the declaration an assembler name that encodes where the
 * symbol lives:
 *
 *	.klp.sym.rela.<lp_obj_name>.<sym_obj_name>.<sym_name>.<sym_pos>
 *
 * so the compiler emits an undefined symbol of that name.  After the final
 * link of the .ko, klp-convert-mini(1) renames every such symbol to the
 * kernel's livepatch format (.klp.sym.<sym_obj_name>.<sym_name>,<sym_pos>,
 * section index SHN_LIVEPATCH) and moves its relocations to
 * .klp.rela.<lp_obj_name>.<section>, which the kernel's livepatch core
 * resolves when the patch, or the patched module, is loaded.  See
 * Documentation/livepatch/module-elf-format.rst in the kernel sources.
 *
 * gcc hands the asm label to GNU as as text, so the name is quoted there:
 * a mistyped object name (klp-target) stays one symbol, which
 * klp-convert-mini then refuses with a message, instead of becoming an
 * expression or an assembler error.  clang (LLVM=1 builds) takes the
 * label as the symbol's name as it is, quotes included, so it gets the
 * bare name.  The name holds no comma (some older GNU as versions reject a
 * comma inside a quoted name), so the position follows the *last* dot, and
 * symbol names that contain dots (foo.isra.0, foo.cold, counter.0) can
 * be named as they are.
 *
 * Every argument is stringified right here, in the macro the author calls,
 * and never handed to another macro first: an argument passed on would be
 * macro-expanded, and kernel headers define macros with ordinary names
 * (current), as GNU C does for linux and unix.
 *
 * Object names are spelled as the kernel knows them: "vmlinux", or the
 * module's name with '-' turned into '_' as kbuild does, at most 55
 * characters and never containing '.'.  klp-convert-mini rejects names
 * that break these rules where it can see them; a '.' inside an object
 * name cannot be told apart from the separator once encoded, so the header
 * is the only place to get that right.
 */
#ifndef KLP_RELOC_H
#define KLP_RELOC_H

#if !defined(__ASSEMBLY__) && !defined(__ASSEMBLER__)

/* The asm label for encoded NAME, a string literal (see above). */
#ifdef __clang__
#define __KLP_RELOC_LABEL(name)	__asm__(name)
#else
#define __KLP_RELOC_LABEL(name)	__asm__("\"" name "\"")
#endif

/**
 * KLP_RELOC_SYMBOL_POS - name a symbol for a klp relocation, general form
 * @lp_obj_name: the object whose klp relocation section carries the
 *	relocations: "vmlinux" to apply them when the livepatch loads, or the
 *	name of the patched module to apply them when that module is present
 * @sym_obj_name: the object that defines the symbol ("vmlinux" or a module)
 * @sym_name: the symbol's name as kallsyms shows it
 * @sym_pos: the symbol's position among same-named symbols of
 *	@sym_obj_name in kallsyms order, counting from 1; 0 when the name is
 *	unique in that object
 *
 * Use after the declarator of an extern declaration.  A module-specific
 * relocation section may not reference a vmlinux symbol: the kernel
 * refuses that, and so does klp-convert-mini.
 */
#define KLP_RELOC_SYMBOL_POS(lp_obj_name, sym_obj_name, sym_name, sym_pos) \
	__KLP_RELOC_LABEL(".klp.sym.rela." #lp_obj_name "." #sym_obj_name \
			  "." #sym_name "." #sym_pos)

/**
 * KLP_RELOC_SYMBOL - name a symbol for a klp relocation
 * @obj_name: the object that defines the symbol; its klp relocation
 *	section carries the relocations ("vmlinux" or a module name)
 * @sym_name: the symbol's name as kallsyms shows it
 * @sym_pos: the symbol's position in kallsyms order among the symbols of
 *	that name in @obj_name, counting from 1; 0 when the name is unique
 *
 * Use after the declarator of an extern declaration, for example
 * ``extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux,
 * saved_command_line, 0);``.  It is KLP_RELOC_SYMBOL_POS() with
 * @obj_name as both objects.
 */
#define KLP_RELOC_SYMBOL(obj_name, sym_name, sym_pos)			\
	__KLP_RELOC_LABEL(".klp.sym.rela." #obj_name "." #obj_name "."	\
			  #sym_name "." #sym_pos)

#else /* assembly */

/*
 * In assembly sources, make a local alias for the encoded name and use the
 * alias as the symbol: relocations against it are emitted against the
 * undefined encoded symbol.
 *
 *	KLP_RELOC_SYMBOL_POS my_cmdline, vmlinux, vmlinux, saved_command_line, 0
 *	movq	my_cmdline(%rip), %rax
 */
.macro KLP_RELOC_SYMBOL_POS alias:req, lp_obj_name:req, sym_obj_name:req, sym_name:req, sym_pos:req
	.set \alias, ".klp.sym.rela.\lp_obj_name\().\sym_obj_name\().\sym_name\().\sym_pos"
.endm

.macro KLP_RELOC_SYMBOL alias:req, obj_name:req, sym_name:req, sym_pos:req
	KLP_RELOC_SYMBOL_POS \alias, \obj_name, \obj_name, \sym_name, \sym_pos
.endm

#endif /* assembly */

#endif /* KLP_RELOC_H */
