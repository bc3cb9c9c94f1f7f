"""Section names to categories, for ELF, PE and Mach-O names alike.

Mach-O names (``__gopclntab``) and PE names are normalised to the ELF spelling first, so one
table serves every format.

A section is categorised by what it holds, which for these names is the same in Go and non-Go
files (checked with ``go tool nm -size -sort address`` on Go 1.26 exe and PIE builds):

- "Go runtime metadata" is what only the Go runtime reads: the pclntab (``.gopclntab``,
  ``.gosymtab``), the build info, the module data (``.go.module``), ``.go.fipsinfo`` and the
  type and itab link tables (``.typelink``/``.itablink``, which a PIE build names
  ``.data.rel.ro.typelink``/``.data.rel.ro.itablink``), and since Go 1.27 the type
  descriptors (``.go.type``) and function-data blobs (``.go.func``), in a PIE
  ``.data.rel.ro.go.type``/``.data.rel.ro.go.func``; any later ``.go.*`` section is taken to
  be metadata too.
- ``.data.rel.ro`` is read-only data that needs load-time relocations. In a C program that is
  vtables, pointer tables and the like; in a Go PIE it is the type descriptors
  (``runtime.types``…``runtime.etypes``, over 90 % of the section), itabs and generic
  dictionaries — exactly what an exe build keeps in ``.rodata``. Both count as read-only data,
  so ``-buildmode=pie`` shows as what it costs (relocations, under dynamic linking) instead of
  read-only data turning into metadata.
- ``.noptrdata`` holds the program's initialised pointer-free variables (tables such as
  ``nistec.p256PrecomputedEmbed`` or ``unicode/norm.decomps``): writable data, like ``.data``.
"""

from __future__ import annotations

from gobinopt.binary.interface import Category

_EXACT: dict[str, Category] = {
    # code
    ".text": Category.CODE,
    ".init": Category.CODE,
    ".fini": Category.CODE,
    ".stubs": Category.DYNAMIC,
    # read-only data
    ".rodata": Category.RODATA,
    ".rdata": Category.RODATA,
    ".eh_frame": Category.RODATA,
    ".eh_frame_hdr": Category.RODATA,
    ".gcc_except_table": Category.RODATA,
    ".cstring": Category.RODATA,
    ".const": Category.RODATA,
    ".pdata": Category.RODATA,
    ".xdata": Category.RODATA,
    ".rsrc": Category.RODATA,
    ".reloc": Category.DYNAMIC,
    # Go runtime metadata
    ".gopclntab": Category.GO_METADATA,
    ".gosymtab": Category.GO_METADATA,
    ".go.buildinfo": Category.GO_METADATA,
    ".go.fipsinfo": Category.GO_METADATA,
    ".go.module": Category.GO_METADATA,
    ".typelink": Category.GO_METADATA,
    ".itablink": Category.GO_METADATA,
    ".data.rel.ro.typelink": Category.GO_METADATA,
    ".data.rel.ro.itablink": Category.GO_METADATA,
    ".gofunc": Category.GO_METADATA,
    ".go.fuzzcntrs": Category.GO_METADATA,
    # Go 1.27 moved the type descriptors and the function-data blobs (``go:func.*``) out of
    # ``.rodata`` into sections of their own; only the runtime reads either.
    ".go.type": Category.GO_METADATA,
    ".go.func": Category.GO_METADATA,
    ".data.rel.ro.go.type": Category.GO_METADATA,
    ".data.rel.ro.go.func": Category.GO_METADATA,
    # writable data
    ".data": Category.DATA,
    ".noptrdata": Category.DATA,
    ".bss": Category.DATA,
    ".noptrbss": Category.DATA,
    ".tbss": Category.DATA,
    ".tdata": Category.DATA,
    ".init_array": Category.DATA,
    ".fini_array": Category.DATA,
    ".ctors": Category.DATA,
    ".dtors": Category.DATA,
    ".tls": Category.DATA,
    ".common": Category.DATA,
    # symbol tables
    ".symtab": Category.SYMBOLS,
    ".strtab": Category.SYMBOLS,
    ".symtab_shndx": Category.SYMBOLS,
    # dynamic linking
    ".interp": Category.DYNAMIC,
    ".dynsym": Category.DYNAMIC,
    ".dynstr": Category.DYNAMIC,
    ".dynamic": Category.DYNAMIC,
    ".hash": Category.DYNAMIC,
    ".gnu.hash": Category.DYNAMIC,
    ".got": Category.DYNAMIC,
    ".got.plt": Category.DYNAMIC,
    ".plt": Category.DYNAMIC,
    ".plt.got": Category.DYNAMIC,
    ".plt.sec": Category.DYNAMIC,
    ".idata": Category.DYNAMIC,
    ".edata": Category.DYNAMIC,
    ".la_symbol_ptr": Category.DYNAMIC,
    ".stub_helper": Category.DYNAMIC,
    ".unwind_info": Category.RODATA,
    ".mod_init_func": Category.DATA,
    ".thread_vars": Category.DATA,
    ".thread_data": Category.DATA,
    ".thread_bss": Category.DATA,
    ".nl_symbol_ptr": Category.DYNAMIC,
    # headers
    ".shstrtab": Category.HEADERS,
    # other
    ".comment": Category.OTHER,
}

_PREFIXES: tuple[tuple[str, Category], ...] = (
    (".debug_", Category.DWARF),
    # Any later ``.go.*`` section the Go linker adds is runtime metadata too.
    (".go.", Category.GO_METADATA),
    (".zdebug_", Category.DWARF),
    (".note", Category.NOTES),
    (".rela.", Category.DYNAMIC),
    (".rel.", Category.DYNAMIC),
    (".rela", Category.DYNAMIC),
    (".gnu.version", Category.DYNAMIC),
    (".data.rel.ro", Category.RODATA),
    (".rodata.", Category.RODATA),
    (".text.", Category.CODE),
    (".data.", Category.DATA),
    (".bss.", Category.DATA),
    (".tbss.", Category.DATA),
    (".tdata.", Category.DATA),
    (".symbol_stub", Category.DYNAMIC),
    ("upx", Category.PACKED),
)

#: The categories in the order reports list them.
ORDER: tuple[Category, ...] = tuple(Category)


def normalise(name: str) -> str:
    """Spell a PE or Mach-O section name the ELF way (``__gopclntab`` → ``.gopclntab``).

    Mach-O drops the dots: ``__go_buildinfo`` is ELF's ``.go.buildinfo`` and ``__debug_info``
    is ``.debug_info``.
    """
    if name.startswith("__"):
        body = name[2:]
        special = {
            "go_buildinfo": ".go.buildinfo",
            "go_fipsinfo": ".go.fipsinfo",
            "go_module": ".go.module",
            "go_fuzzcntrs": ".go.fuzzcntrs",
            "data_rel_ro": ".data.rel.ro",
        }
        if body in special:
            return special[body]
        if body.startswith("go_"):  # Go 1.27's __go_type, __go_func and any later Go section
            return ".go." + body[3:]
        return "." + body
    return name


def categorize(name: str) -> Category:
    """The category of a section, by its (normalised) name; unknown names are OTHER."""
    norm = normalise(name)
    lower = norm.lower()
    if lower in _EXACT:
        return _EXACT[lower]
    for prefix, category in _PREFIXES:
        if lower.startswith(prefix):
            return category
    return Category.OTHER
