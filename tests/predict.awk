# tests/predict.awk - what klp-convert-mini must make of an object, worked
# out from the object itself, independently of the tool.
#
# Input: `elfdump -h -S -s -r IN` of an unconverted object.  Output: the
# same dump as the converted object must give, per the contract:
#  - every undefined .klp.sym.rela.<lp_obj>.<sym_obj>.<sym><sep><pos>
#    symbol (<sep> is ',' for v1/v2 names, else the last '.') becomes
#    .klp.sym.<sym_obj>.<sym>,<pos> with shndx 0xff20, same index and
#    everything else the same;
#  - each relocation against such a symbol from an SHF_ALLOC target moves,
#    in order, to .klp.rela.<lp_obj>.<target name>; one such section per
#    (lp_obj, target), appended after the existing sections in order of
#    first use: RELA, flags 0x100042, link .symtab, info target,
#    entsize 24, align 8;
#  - the source relocation section keeps its index and shrinks by the
#    moved entries; relocations from non-alloc targets stay put;
#  - string table sizes are not predicted (callers mask them: see
#    mask_strtab in lib.sh); nothing else changes.
# Portable awk (Debian's default is mawk).

function hexdigit_has(flags, bit,    c) {
	# Value of the last hex digit of "0x...", tested for BIT (1, 2, 4, 8).
	c = index("0123456789abcdef", substr(flags, length(flags), 1)) - 1
	return int(c / bit) % 2
}

function convert(name,    rest, p, so, sep) {
	rest = substr(name, length(".klp.sym.rela.") + 1)
	p = index(rest, ".")
	rest = substr(rest, p + 1)
	p = index(rest, ".")
	so = substr(rest, 1, p - 1)
	rest = substr(rest, p + 1)
	sep = index(rest, ",") ? "," : "."
	p = lastindex(rest, sep)
	return ".klp.sym." so "." substr(rest, 1, p - 1) "," substr(rest, p + 1)
}

function lp_obj(name,    rest) {
	rest = substr(name, length(".klp.sym.rela.") + 1)
	return substr(rest, 1, index(rest, ".") - 1)
}

function lastindex(s, c,    i) {
	for (i = length(s); i > 0; i--)
		if (substr(s, i, 1) == c)
			return i
	return 0
}

function bracket(s) {
	# "[12]" -> 12
	return substr(s, 2, length(s) - 2) + 0
}

function is_prefixed(idx) {
	return substr(symname[idx], 1, 14) == ".klp.sym.rela." && symshndx[idx] == "shndx=UND"
}

/^class=/ { header = $0; next }
/^symtab / { symtab_line = $0; next }
/ -> \[/ {
	nrel++
	rel_line[nrel] = $0
	rel_sec[nrel] = bracket($1)
	rel_target[nrel] = bracket($4)
	rel_off[nrel] = $6
	rel_type[nrel] = $7
	# The symbol is "[N] NAME", NAME empty for section symbols; the
	# addend, if any, is the last field.
	p = index($0, ": ")
	rest = substr($0, p + 2)
	split(rest, f, " ")
	rel_sym[nrel] = bracket(f[3])
	rel_addend[nrel] = (rest ~ / [+-][0-9]+$/) ? " " $NF : ""
	next
}
/ flags=/ {
	idx = bracket($1)
	nsec = idx > nsec ? idx : nsec
	sec_line[idx] = $0
	secname[idx] = $2
	sectype[idx] = $3
	for (i = 4; i <= NF; i++)
		if ($i ~ /^flags=/)
			secalloc[idx] = hexdigit_has($i, 2)
	if ($3 == "SYMTAB")
		symtab_idx = idx
	next
}
/ value=/ {
	idx = bracket($1)
	nsym = idx + 1 > nsym ? idx + 1 : nsym
	sym_line[idx] = $0
	symname[idx] = ($2 ~ /^value=/) ? "" : $2
	symshndx[idx] = $NF
	next
}
{ print "predict.awk: unexpected line: " $0 > "/dev/stderr"; exit 2 }

END {
	nklp = 0
	for (i = 1; i <= nrel; i++) {
		s = rel_sym[i]
		moved[i] = is_prefixed(s) && secalloc[rel_target[i]]
		if (!moved[i])
			continue
		key = lp_obj(symname[s]) SUBSEP rel_target[i]
		if (!(key in klp_idx)) {
			nklp++
			klp_idx[key] = nsec + nklp
			klp_name[nsec + nklp] = ".klp.rela." lp_obj(symname[s]) "." secname[rel_target[i]]
			klp_info[nsec + nklp] = rel_target[i]
		}
		dest[i] = klp_idx[key]
		klp_count[dest[i]]++
		shrink[rel_sec[i]]++
	}

	print header
	for (i = 1; i <= nsec; i++) {
		line = sec_line[i]
		if (shrink[i]) {
			match(line, / size=[0-9]+/)
			size = substr(line, RSTART + 6, RLENGTH - 6) - 24 * shrink[i]
			line = substr(line, 1, RSTART - 1) " size=" size substr(line, RSTART + RLENGTH)
		}
		print line
	}
	for (i = nsec + 1; i <= nsec + nklp; i++)
		printf "[%d] %s RELA flags=0x100042 link=%d info=%d entsize=24 align=8 size=%d\n",
			i, klp_name[i], symtab_idx, klp_info[i], 24 * klp_count[i]

	if (symtab_line != "")
		print symtab_line
	for (i = 0; i < nsym; i++) {
		if (is_prefixed(i)) {
			newname[i] = convert(symname[i])
			line = sym_line[i]
			p = index(line, " value=")
			line = "[" i "] " newname[i] substr(line, p)
			sub(/ shndx=UND$/, " shndx=0xff20", line)
			print line
		} else {
			newname[i] = symname[i]
			print sym_line[i]
		}
	}

	for (i = 1; i <= nrel; i++) {
		if (moved[i])
			continue
		line = rel_line[i]
		s = rel_sym[i]
		if (is_prefixed(s)) {
			# Stays (non-alloc target) but names the renamed symbol.
			p = index(line, "[" s "] " symname[s])
			line = substr(line, 1, p - 1) "[" s "] " newname[s] substr(line, p + length("[" s "] " symname[s]))
		}
		print line
	}
	for (k = nsec + 1; k <= nsec + nklp; k++)
		for (i = 1; i <= nrel; i++)
			if (moved[i] && dest[i] == k)
				printf "[%d] %s -> [%d] %s: %s %s [%d] %s%s\n",
					k, klp_name[k], rel_target[i], secname[rel_target[i]],
					rel_off[i], rel_type[i], rel_sym[i], newname[rel_sym[i]],
					rel_addend[i]
}
