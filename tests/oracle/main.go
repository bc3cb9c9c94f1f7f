// Command oracle reports what the Go standard library (debug/buildinfo,
// debug/gosym, debug/elf, debug/macho, debug/pe) sees in a Go binary, as one
// JSON object on stdout. The gobinopt test-suite compares its own parsers
// against this output.
//
// Usage:
//
//	oracle BINARY
//	oracle -dwarf BINARY
//
// The -dwarf mode prints what debug/dwarf reads instead (see dwarf.go).
//
// It exits 1 (with a message on stderr) only if BINARY cannot be opened or
// read at all; every other problem is reported inside the JSON.
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// buildinfoModule is the module type used by debug/buildinfo.
type buildinfoModule = debug.Module

// Module mirrors runtime/debug.Module.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version"`
	Sum     string  `json:"sum"`
	Replace *Module `json:"replace"`
}

// BuildInfo mirrors runtime/debug.BuildInfo.
type BuildInfo struct {
	GoVersion string      `json:"go_version"`
	Path      string      `json:"path"`
	Main      *Module     `json:"main"`
	Deps      []*Module   `json:"deps"`
	Settings  [][2]string `json:"settings"`
}

// Func is one entry of gosym.Table.Funcs.
type Func struct {
	Name    string `json:"name"`
	Entry   uint64 `json:"entry"`
	End     uint64 `json:"end"`
	Package string `json:"package"`
}

// Pclntab summarises the decoded pclntab.
type Pclntab struct {
	SectionFileOffset int64             `json:"section_file_offset"`
	Size              int               `json:"size"`
	TextStart         uint64            `json:"text_start"`
	TextStartSource   string            `json:"text_start_source"`
	DataSource        string            `json:"data_source"`
	NFunc             int               `json:"nfunc"`
	Funcs             []Func            `json:"funcs"`
	Packages          map[string]uint64 `json:"packages"`
	Total             uint64            `json:"total"`
}

// Report is the JSON object printed on stdout.
type Report struct {
	Format          string     `json:"format"`
	BuildInfo       *BuildInfo `json:"buildinfo"`
	BuildInfoError  *string    `json:"buildinfo_error"`
	BuildInfoString string     `json:"buildinfo_string"`
	Pclntab         *Pclntab   `json:"pclntab"`
	PclntabError    *string    `json:"pclntab_error"`
}

// pclnSource is where the pclntab bytes came from and which text start
// address to decode them against.
type pclnSource struct {
	data            []byte
	fileOffset      int64
	dataSource      string
	textStart       uint64
	textStartSource string
	symtab          []byte

	// pclnAddr is the virtual address of data[0]; dataSects are the
	// writable data sections searched for runtime.firstmoduledata when
	// there is no runtime.text symbol.
	pclnAddr  uint64
	dataSects [][]byte
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-dwarf" {
		dwarfMain(os.Args[2])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle [-dwarf] BINARY")
		os.Exit(2)
	}
	name := os.Args[1]

	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}

	rep := Report{Format: detectFormat(magic[:])}

	bi, err := buildinfo.ReadFile(name)
	if err != nil {
		rep.BuildInfoError = errString(err)
	} else {
		rep.BuildInfo = convertBuildInfo(bi)
		rep.BuildInfoString = bi.String()
	}

	src, err := findPclntab(f, rep.Format)
	if err == nil {
		rep.Pclntab, err = decodePclntab(src)
	}
	if err != nil {
		rep.PclntabError = errString(err)
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&rep); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

func errString(err error) *string {
	s := err.Error()
	return &s
}

func detectFormat(m []byte) string {
	switch {
	case bytes.HasPrefix(m, []byte("\x7fELF")):
		return "elf"
	case bytes.HasPrefix(m, []byte("MZ")):
		return "pe"
	}
	if len(m) == 4 {
		le := binary.LittleEndian.Uint32(m)
		be := binary.BigEndian.Uint32(m)
		for _, v := range []uint32{le, be} {
			switch v {
			case macho.Magic32, macho.Magic64, macho.MagicFat:
				return "macho"
			}
		}
	}
	return "unknown"
}

func convertModule(m *buildinfoModule) *Module {
	if m == nil {
		return nil
	}
	return &Module{
		Path:    m.Path,
		Version: m.Version,
		Sum:     m.Sum,
		Replace: convertModule(m.Replace),
	}
}

func convertBuildInfo(bi *buildinfo.BuildInfo) *BuildInfo {
	out := &BuildInfo{
		GoVersion: bi.GoVersion,
		Path:      bi.Path,
		Deps:      []*Module{},
		Settings:  [][2]string{},
	}
	if bi.Main != (buildinfoModule{}) {
		out.Main = convertModule(&bi.Main)
	}
	for _, d := range bi.Deps {
		out.Deps = append(out.Deps, convertModule(d))
	}
	for _, s := range bi.Settings {
		out.Settings = append(out.Settings, [2]string{s.Key, s.Value})
	}
	return out
}

func findPclntab(r io.ReaderAt, format string) (*pclnSource, error) {
	switch format {
	case "elf":
		return elfPclntab(r)
	case "macho":
		return machoPclntab(r)
	case "pe":
		return pePclntab(r)
	}
	return nil, errors.New("unrecognized executable format")
}

func decodePclntab(src *pclnSource) (*Pclntab, error) {
	if src.textStartSource != "symbol:runtime.text" {
		if text, ok := moduledataText(src); ok {
			src.textStart, src.textStartSource = text, "moduledata"
		}
	}
	lt := gosym.NewLineTable(src.data, src.textStart)
	tab, err := gosym.NewTable(src.symtab, lt)
	if err != nil {
		return nil, fmt.Errorf("gosym.NewTable: %w", err)
	}
	if len(tab.Funcs) == 0 {
		return nil, errors.New("gosym decoded no functions (unsupported or malformed pclntab)")
	}
	p := &Pclntab{
		SectionFileOffset: src.fileOffset,
		Size:              len(src.data),
		TextStart:         src.textStart,
		TextStartSource:   src.textStartSource,
		DataSource:        src.dataSource,
		NFunc:             len(tab.Funcs),
		Funcs:             make([]Func, 0, len(tab.Funcs)),
		Packages:          map[string]uint64{},
	}
	for i := range tab.Funcs {
		fn := &tab.Funcs[i]
		pkg := fn.PackageName()
		size := fn.End - fn.Entry
		p.Funcs = append(p.Funcs, Func{Name: fn.Name, Entry: fn.Entry, End: fn.End, Package: pkg})
		p.Packages[pkg] += size
		p.Total += size
	}
	return p, nil
}

// ---- ELF ----

func elfPclntab(r io.ReaderAt) (*pclnSource, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	src := &pclnSource{}
	if s := f.Section(".text"); s != nil {
		src.textStart, src.textStartSource = s.Addr, "section:.text"
	}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.text" {
				src.textStart, src.textStartSource = s.Value, "symbol:runtime.text"
				break
			}
		}
	}
	if src.textStartSource == "" {
		return nil, errors.New("no .text section")
	}
	for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		src.data, src.fileOffset, src.dataSource = data, int64(s.Offset), "section:"+name
		src.pclnAddr = s.Addr
		break
	}
	if src.data == nil {
		return nil, errors.New("no .gopclntab section")
	}
	if s := f.Section(".gosymtab"); s != nil && s.Type != elf.SHT_NOBITS {
		src.symtab, _ = s.Data()
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_WRITE != 0 {
			if d, err := s.Data(); err == nil {
				src.dataSects = append(src.dataSects, d)
			}
		}
	}
	return src, nil
}

// ---- Mach-O ----

func machoPclntab(r io.ReaderAt) (*pclnSource, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return nil, err
	}
	src := &pclnSource{}
	if s := f.Section("__text"); s != nil {
		src.textStart, src.textStartSource = s.Addr, "section:__text"
	}
	if f.Symtab != nil {
		for _, s := range f.Symtab.Syms {
			if s.Name == "runtime.text" {
				src.textStart, src.textStartSource = s.Value, "symbol:runtime.text"
				break
			}
		}
	}
	if src.textStartSource == "" {
		return nil, errors.New("no __text section")
	}
	s := f.Section("__gopclntab")
	if s == nil {
		return nil, errors.New("no __gopclntab section")
	}
	if src.data, err = s.Data(); err != nil {
		return nil, fmt.Errorf("reading __gopclntab: %w", err)
	}
	src.fileOffset, src.dataSource = int64(s.Offset), "section:__gopclntab"
	src.pclnAddr = s.Addr
	if s := f.Section("__gosymtab"); s != nil {
		src.symtab, _ = s.Data()
	}
	for _, s := range f.Sections {
		// Zero-fill sections (bss) have no file data.
		if s.Seg == "__DATA" && s.Flags&0xff != 0x1 && s.Flags&0xff != 0xc {
			if d, err := s.Data(); err == nil {
				src.dataSects = append(src.dataSects, d)
			}
		}
	}
	return src, nil
}

// ---- PE ----

func pePclntab(r io.ReaderAt) (*pclnSource, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, err
	}
	var imageBase uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		imageBase = uint64(oh.ImageBase)
	case *pe.OptionalHeader64:
		imageBase = oh.ImageBase
	default:
		return nil, errors.New("PE file has no optional header")
	}
	src := &pclnSource{}
	if s := f.Section(".text"); s != nil {
		src.textStart, src.textStartSource = imageBase+uint64(s.VirtualAddress), "section:.text"
	}
	if sym, err := findPESymbol(f, "runtime.text"); err == nil {
		sect := f.Sections[sym.SectionNumber-1]
		src.textStart = imageBase + uint64(sect.VirtualAddress) + uint64(sym.Value)
		src.textStartSource = "symbol:runtime.text"
	}
	if src.textStartSource == "" {
		return nil, errors.New("no .text section")
	}

	for _, sect := range f.Sections {
		if sect.Characteristics&pe.IMAGE_SCN_MEM_WRITE != 0 && sect.Characteristics&pe.IMAGE_SCN_CNT_INITIALIZED_DATA != 0 {
			if d, err := sect.Data(); err == nil {
				src.dataSects = append(src.dataSects, d)
			}
		}
	}

	// With a COFF symbol table, use runtime.pclntab..runtime.epclntab as
	// cmd/internal/objfile does.
	ssym, serr := findPESymbol(f, "runtime.pclntab")
	esym, eerr := findPESymbol(f, "runtime.epclntab")
	if serr == nil && eerr == nil {
		if ssym.SectionNumber != esym.SectionNumber {
			return nil, errors.New("runtime.pclntab and runtime.epclntab are in different sections")
		}
		sect := f.Sections[ssym.SectionNumber-1]
		data, err := sect.Data()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", sect.Name, err)
		}
		if ssym.Value > esym.Value || uint64(esym.Value) > uint64(len(data)) {
			return nil, fmt.Errorf("runtime.pclntab [%#x, %#x) outside section %s (%d bytes)", ssym.Value, esym.Value, sect.Name, len(data))
		}
		src.data = data[ssym.Value:esym.Value]
		src.fileOffset = int64(sect.Offset) + int64(ssym.Value)
		src.dataSource = "symbol:runtime.pclntab"
		src.pclnAddr = imageBase + uint64(sect.VirtualAddress) + uint64(ssym.Value)
		return src, nil
	}

	// Stripped (-ldflags=-s): scan .rdata for a pclntab header.
	sect := f.Section(".rdata")
	if sect == nil {
		return nil, errors.New("no runtime.pclntab symbol and no .rdata section")
	}
	data, err := sect.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .rdata: %w", err)
	}
	off := scanPclntabHeader(data)
	if off < 0 {
		return nil, errors.New("no pclntab header found in .rdata")
	}
	src.data = data[off:]
	src.fileOffset = int64(sect.Offset) + int64(off)
	src.dataSource = "scan:.rdata"
	src.pclnAddr = imageBase + uint64(sect.VirtualAddress) + uint64(off)
	return src, nil
}

func findPESymbol(f *pe.File, name string) (*pe.Symbol, error) {
	for _, s := range f.Symbols {
		if s.Name != name {
			continue
		}
		if s.SectionNumber <= 0 || int(s.SectionNumber) > len(f.Sections) {
			return nil, fmt.Errorf("symbol %s: invalid section number %d", name, s.SectionNumber)
		}
		return s, nil
	}
	return nil, fmt.Errorf("no %s symbol found", name)
}

// pclntabMagics are the little-endian header magics, newest first.
var pclntabMagics = []uint32{
	0xfffffff1, // Go 1.20+
	0xfffffff0, // Go 1.18, 1.19
	0xfffffffa, // Go 1.16, 1.17
	0xfffffffb, // Go 1.2 - 1.15
}

// scanPclntabHeader returns the offset of the first plausible pclntab header
// in data (magic, two zero bytes, quantum in {1,2,4}, pointer size in {4,8}),
// or -1. Candidates are tried in magic order, and a candidate is accepted only
// if gosym can decode at least one function from it.
func scanPclntabHeader(data []byte) int {
	for _, m := range pclntabMagics {
		var pat [4]byte
		binary.LittleEndian.PutUint32(pat[:], m)
		for start := 0; ; {
			i := bytes.Index(data[start:], pat[:])
			if i < 0 {
				break
			}
			off := start + i
			start = off + 1
			if off+8 > len(data) {
				break
			}
			h := data[off:]
			if h[4] != 0 || h[5] != 0 {
				continue
			}
			if q := h[6]; q != 1 && q != 2 && q != 4 {
				continue
			}
			if p := h[7]; p != 4 && p != 8 {
				continue
			}
			if decodesFuncs(data[off:]) {
				return off
			}
		}
	}
	return -1
}

// decodesFuncs reports whether gosym decodes at least one function from a
// candidate pclntab (function counts do not depend on the text start).
func decodesFuncs(data []byte) bool {
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, 0))
	return err == nil && len(tab.Funcs) > 0
}

// moduledataText finds runtime.firstmoduledata (Go 1.16+ layout) in the
// writable data sections and returns its text field, the address the
// pclntab's function entry offsets are relative to. It is used when there is
// no runtime.text symbol: for externally linked binaries (cgo) the .text
// section starts with C runtime code, so its address is not runtime.text.
//
// The moduledata starts with the pcHeader pointer, followed by the
// funcnametab, cutab, filetab, pctab, pclntable and ftab slices, findfunctab,
// minpc, maxpc, text and etext. A candidate is accepted only if its
// funcnametab points where the header says and its ftab has nfunc+1 entries.
func moduledataText(src *pclnSource) (uint64, bool) {
	d := src.data
	if len(d) < 8 || d[4] != 0 || d[5] != 0 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(d) == 0xfffffff1 || binary.LittleEndian.Uint32(d) == 0xfffffff0 || binary.LittleEndian.Uint32(d) == 0xfffffffa:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint32(d) == 0xfffffff1 || binary.BigEndian.Uint32(d) == 0xfffffff0 || binary.BigEndian.Uint32(d) == 0xfffffffa:
		bo = binary.BigEndian
	default:
		return 0, false // Go 1.2-1.15 tables use another moduledata layout
	}
	ps := int(d[7])
	if ps != 4 && ps != 8 {
		return 0, false
	}
	word := func(b []byte, i int) uint64 {
		if ps == 8 {
			return bo.Uint64(b[i*ps:])
		}
		return uint64(bo.Uint32(b[i*ps:]))
	}
	if len(d) < 8+4*ps {
		return 0, false
	}
	nfunc := word(d[8:], 0)
	// Header words after magic: nfunc, nfiles, [textStart in 1.18+], funcnameOffset.
	funcnameWord := 2
	if bo.Uint32(d) != 0xfffffffa {
		funcnameWord = 3
	}
	funcnameOff := word(d[8:], funcnameWord)

	var pat [8]byte
	if ps == 8 {
		bo.PutUint64(pat[:], src.pclnAddr)
	} else {
		bo.PutUint32(pat[:], uint32(src.pclnAddr))
	}
	const nwords = 24 // up to and including etext
	for _, sect := range src.dataSects {
		for start := 0; ; {
			i := bytes.Index(sect[start:], pat[:ps])
			if i < 0 {
				break
			}
			off := start + i
			start = off + 1
			if off%ps != 0 || off+nwords*ps > len(sect) {
				continue
			}
			m := sect[off:]
			if word(m, 1) != src.pclnAddr+funcnameOff || word(m, 2) != word(m, 3) {
				continue
			}
			if word(m, 17) != nfunc+1 || word(m, 18) != nfunc+1 {
				continue
			}
			minpc, maxpc, text, etext := word(m, 20), word(m, 21), word(m, 22), word(m, 23)
			if text == 0 || text > minpc || minpc >= maxpc || maxpc > etext {
				continue
			}
			return text, true
		}
	}
	return 0, false
}
