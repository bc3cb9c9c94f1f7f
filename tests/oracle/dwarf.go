package main

// The -dwarf mode: what Go's debug/dwarf sees in a binary's DWARF, per compile unit.

import (
	"bytes"
	"compress/zlib"
	"debug/dwarf"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// DwarfUnit is one compile unit as debug/dwarf reads it.
type DwarfUnit struct {
	Name string `json:"name"`
	// Offset is the .debug_info offset of the DW_TAG_compile_unit entry.
	Offset   int64  `json:"offset"`
	Tag      string `json:"tag"`
	Language int64  `json:"language"`
	// StmtList, AddrBase and Ranges are the unit entry's DW_AT_stmt_list,
	// DW_AT_addr_base and DW_AT_ranges, -1 when absent.
	StmtList int64 `json:"stmt_list"`
	AddrBase int64 `json:"addr_base"`
	Ranges   int64 `json:"ranges"`
	// RangeLists and LocLists are the [min, max] offsets of every range
	// list and location list any entry of the unit refers to, nil when none.
	RangeLists []int64 `json:"range_lists"`
	LocLists   []int64 `json:"loc_lists"`
}

// DwarfReport is the JSON object the -dwarf mode prints.
type DwarfReport struct {
	Format string  `json:"format"`
	Error  *string `json:"error"`
	// Sections maps each DWARF section, spelled .debug_*, to its size once
	// decompressed (PE sections cut to their VirtualSize, as debug/pe does).
	Sections map[string]int `json:"sections"`
	Units    []DwarfUnit    `json:"units"`
}

func dwarfMain(name string) {
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
	rep := DwarfReport{Format: detectFormat(magic[:]), Sections: map[string]int{}, Units: []DwarfUnit{}}
	if err := readDwarf(f, &rep); err != nil {
		rep.Error = errString(err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&rep); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

func readDwarf(r io.ReaderAt, rep *DwarfReport) error {
	var d *dwarf.Data
	var err error
	switch rep.Format {
	case "elf":
		f, ferr := elf.NewFile(r)
		if ferr != nil {
			return ferr
		}
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
				if b, err := s.Data(); err == nil {
					rep.Sections[debugName(s.Name)] = len(inflate(s.Name, b))
				}
			}
		}
		d, err = f.DWARF()
	case "macho":
		f, ferr := macho.NewFile(r)
		if ferr != nil {
			return ferr
		}
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Name, "__debug_") || strings.HasPrefix(s.Name, "__zdebug_") {
				if b, err := s.Data(); err == nil {
					rep.Sections[debugName(s.Name)] = len(inflate(s.Name, b))
				}
			}
		}
		d, err = f.DWARF()
	case "pe":
		f, ferr := pe.NewFile(r)
		if ferr != nil {
			return ferr
		}
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
				if b, err := s.Data(); err == nil {
					if 0 < s.VirtualSize && s.VirtualSize < s.Size {
						b = b[:s.VirtualSize]
					}
					rep.Sections[debugName(s.Name)] = len(inflate(s.Name, b))
				}
			}
		}
		d, err = f.DWARF()
	default:
		return errors.New("unrecognized executable format")
	}
	if err != nil {
		return err
	}
	rd := d.Reader()
	var unit *DwarfUnit
	flush := func() {
		if unit != nil {
			rep.Units = append(rep.Units, *unit)
		}
	}
	for {
		e, err := rd.Next()
		if err != nil {
			return err
		}
		if e == nil {
			break
		}
		if e.Tag == 0 {
			continue
		}
		switch e.Tag {
		case dwarf.TagCompileUnit, dwarf.TagPartialUnit, dwarf.TagTypeUnit, dwarf.TagSkeletonUnit:
			flush()
			name, _ := e.Val(dwarf.AttrName).(string)
			lang, _ := e.Val(dwarf.AttrLanguage).(int64)
			unit = &DwarfUnit{
				Name:     name,
				Offset:   int64(e.Offset),
				Tag:      e.Tag.String(),
				Language: lang,
				StmtList: intAttr(e, dwarf.AttrStmtList),
				AddrBase: intAttr(e, dwarf.AttrAddrBase),
				Ranges:   intAttr(e, dwarf.AttrRanges),
			}
		}
		if unit == nil {
			continue
		}
		for _, fld := range e.Field {
			v, ok := fld.Val.(int64)
			if !ok {
				continue
			}
			switch fld.Class {
			case dwarf.ClassRangeListPtr, dwarf.ClassRngList:
				unit.RangeLists = widen(unit.RangeLists, v)
			case dwarf.ClassLocListPtr, dwarf.ClassLocList:
				unit.LocLists = widen(unit.LocLists, v)
			}
		}
	}
	flush()
	return nil
}

func intAttr(e *dwarf.Entry, a dwarf.Attr) int64 {
	if v, ok := e.Val(a).(int64); ok {
		return v
	}
	return -1
}

func widen(mm []int64, v int64) []int64 {
	if mm == nil {
		return []int64{v, v}
	}
	return []int64{min(mm[0], v), max(mm[1], v)}
}

// debugName spells a DWARF section name the ELF way without compression
// marker: __zdebug_info and .zdebug_info become .debug_info.
func debugName(name string) string {
	name = strings.TrimLeft(name, "._")
	name = strings.TrimPrefix(name, "z")
	return "." + name
}

// inflate undoes the .zdebug_* "ZLIB" + 8-byte big-endian size compression.
func inflate(name string, b []byte) []byte {
	if !strings.Contains(name, "zdebug") || len(b) < 12 || !bytes.Equal(b[:4], []byte("ZLIB")) {
		return b
	}
	want := binary.BigEndian.Uint64(b[4:12])
	zr, err := zlib.NewReader(bytes.NewReader(b[12:]))
	if err != nil {
		return b
	}
	out, err := io.ReadAll(zr)
	if err != nil || uint64(len(out)) != want {
		return b
	}
	return out
}
